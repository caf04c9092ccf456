"""End to end: the StatusPanel in a real JupyterLab, driven by Debian's chromium.

A sandbox runs in this process on a clock that stands still until the test releases it, so
the uploads are certainly PROCESSING at the first look. JupyterLab runs as a subprocess on a
notebook that uploads assets to the sandbox and displays ``argil_nb.watch(...)`` panels;
Playwright runs every cell, then reads the panels' DOM before and after processing.

Skipped when chromium is missing, except under ``CI=true``, where that is a failure. The
panel screenshot is saved in the test's tmp dir; ``ARGIL_NB_UPDATE_SCREENSHOT=1`` also
writes it to ``docs/panel.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
import pytest

from argil_nb.sandbox import Sandbox
from argil_nb.sandbox.images import THUMBNAIL_SIZE

from .browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    JS_KERNEL_STATE,
    JS_OUTPUTS,
    JS_PANEL,
    JS_RUN_ALL,
    JS_SCROLL_TO_CELL,
    JS_XSS,
    GateClock,
    LabServer,
    kill_pid_file,
    wait_for,
)

pytestmark = pytest.mark.browser

DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "panel.png"
NOTEBOOK = "argil panel e2e.ipynb"  # a space: the URL must be quoted
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
CDN = "https://cdn.example.com/uploads/"
# (file, name): name None means the file name. Cell 2 watches these.
UPLOADS: list[tuple[str, str | None]] = [
    ("intro-clip.mp4", None),
    ("xss-1.png", XSS_IMG),
    ("cover.png", None),
    ("xss-2.mp4", XSS_SCRIPT),
    ("banner.jpg", None),
    ("outro.mp4", None),
]
# A realistic set for the screenshot (cell 4); the last one is held PROCESSING.
SHOWCASE = [
    "product-demo-v3.mp4",
    "hero-banner@2x.png",
    "team-offsite-2026-highlights.mp4",
    "logo-dark.png",
    "webinar-recording-2026-03-full.mp4",
    "customer-testimonial-anna.mp4",
    "q3-results-chart.jpg",
    "launch-teaser-vertical-9x16.mp4",
]
HELD = SHOWCASE[-1]
TEST_CELL, SHOWCASE_CELL = 2, 4
# Seed 5 with failure_rate 0.3: 2 of the 6 uploads and 1 of the showcase end FAILED.
SANDBOX_OPTIONS: dict[str, Any] = {
    "seed": 5,
    "initial_assets": 0,
    "failure_rate": 0.3,
    "speed": 2.0,
    "processing_seconds": (4.0, 14.0),  # 2-7 s of real time once the clock is released
}
NAMES = [name or file for file, name in UPLOADS]
NO_XSS = {"xss": None, "imgX": 0, "scripts": 0, "onerror": 0}
LOOPBACK = re.compile(r"^(https?|wss?)://127\.0\.0\.1[:/]")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI=true requires the browser test to run")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        _unavailable(f"chromium not found ({CHROMIUM} nor on PATH): apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright (python) is not installed: pip install 'argil-nb[test]'")
    assert path is not None
    return path


@pytest.fixture
def gate() -> GateClock:
    return GateClock()


@pytest.fixture
def box(gate: GateClock) -> Iterator[Sandbox]:
    with Sandbox(clock=gate, **SANDBOX_OPTIONS) as sb:
        yield sb


def _notebook() -> nbformat.NotebookNode:
    cells = [
        # The URL and key reach the kernel through the environment JupyterLab was given:
        # neither is in the notebook nor printed.
        "import os\nimport pathlib\n\n"
        'pathlib.Path("kernel.pid").write_text(str(os.getpid()))\n'
        'assert os.environ["ARGIL_BASE_URL"].startswith("http://127.0.0.1:")\n'
        'assert os.environ["ARGIL_API_KEY"]',
        "import argil_nb as an\n\n"
        "client = an.connect()\n"
        f"CDN = {CDN!r}\n"
        f"uploads = {UPLOADS!r}\n"
        "ids = [client.create_asset(CDN + file, name=name).id for file, name in uploads]\n"
        'print(len(ids), "uploads")',
        "an.watch(ids, client=client, interval=0.5)",
        f"showcase = [client.create_asset(CDN + file).id for file in {SHOWCASE!r}]",
        "an.watch(showcase, client=client, interval=0.5)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    return notebook


@pytest.fixture
def lab(tmp_path: Path, box: Sandbox) -> Iterator[LabServer]:
    root, state = tmp_path / "root", tmp_path / "state"
    root.mkdir()
    state.mkdir()
    nbformat.write(_notebook(), root / NOTEBOOK)
    server = LabServer(root, state, {"ARGIL_BASE_URL": box.base_url, "ARGIL_API_KEY": box.api_key})
    try:
        server.start()
        yield server
    finally:
        server.shutdown_kernels()
        server.stop()
        kill_pid_file(root / "kernel.pid")  # only if the server left its kernel behind


def _truth(box: Sandbox) -> dict[str, dict[str, Any]]:
    """The sandbox's own view of every asset, by name."""
    return {asset["name"]: asset for asset in box.assets()}


def _by_name(panel: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {card["name"]: card for card in (panel or {}).get("cards", [])}


def _loaded(card: dict[str, Any]) -> bool:
    return len(card["imgs"]) == 1 and card["imgs"][0]["complete"] and card["imgs"][0]["width"] > 0


def test_status_panel_in_jupyterlab(
    chromium: str, box: Sandbox, gate: GateClock, lab: LabServer, tmp_path: Path
) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(30_000)
            # Nothing may leave the machine: not JupyterLab, not the panel (whose uploads
            # name cdn.example.com URLs that must never be fetched).
            outside: list[str] = []

            def block(route: Any) -> None:
                outside.append(route.request.url)
                route.abort()

            page.route(lambda url: not LOOPBACK.match(url) and not url.startswith("data:"), block)
            try:
                _drive(page, box, gate, lab, tmp_path)
                assert outside == [], f"requests left the machine: {outside}"
            except (AssertionError, PlaywrightError) as exc:
                shot = tmp_path / "failure.png"
                try:
                    page.screenshot(path=str(shot), full_page=True)
                    outputs = page.evaluate(JS_OUTPUTS)
                except PlaywrightError as inner:
                    outputs = f"(no notebook outputs: {inner})"
                raise AssertionError(
                    f"{exc}\n--- notebook outputs ---\n{outputs}\n{lab.log_tail()}\n"
                    f"debug screenshot: {shot}"
                ) from exc
        finally:
            browser.close()


def _drive(page: Any, box: Sandbox, gate: GateClock, lab: LabServer, tmp_path: Path) -> None:
    page.goto(f"{lab.url}/lab/tree/{quote(NOTEBOOK)}?token={lab.token}")

    # 1. The notebook is open and its kernel connected and idle; then run every cell.
    def kernel_state() -> str:
        return str(page.evaluate(JS_KERNEL_STATE, NOTEBOOK))

    wait_for(
        lambda: kernel_state() == "connected/idle",
        60,
        "the notebook's kernel to be connected and idle",
        lambda: f"last state: {kernel_state()}",
    )
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    assert page.evaluate(JS_RUN_ALL, NOTEBOOK) == 5

    def uploaded() -> bool:
        outputs = page.evaluate(JS_OUTPUTS)
        assert "Traceback" not in outputs, "a cell raised"
        return len(box.assets()) == len(UPLOADS) + len(SHOWCASE)

    wait_for(uploaded, 40, "the notebook's uploads to reach the sandbox")
    truth = _truth(box)
    assert sorted(truth) == sorted(NAMES + SHOWCASE)

    # 2. First look, while the sandbox clock stands still: everything is PROCESSING.
    def processing(cell: int, count: int) -> dict[str, Any] | None:
        panel = page.evaluate(JS_PANEL, cell)
        cards = (panel or {}).get("cards", [])
        if len(cards) == count and all(c["status"] == "PROCESSING" for c in cards):
            return panel
        return None

    page.evaluate(JS_SCROLL_TO_CELL, TEST_CELL)
    panel = wait_for(
        lambda: processing(TEST_CELL, len(UPLOADS)),
        30,
        "the panel to show 6 PROCESSING cards",
        lambda: repr(page.evaluate(JS_PANEL, TEST_CELL)),
    )
    assert f"0/{len(UPLOADS)} finished" in panel["labels"], panel["labels"]
    assert any(label.startswith("watching, every 0.5 s") for label in panel["labels"])
    cards = _by_name(panel)
    assert sorted(cards) == sorted(NAMES)
    for name, card in cards.items():
        assert card["placeholder"] == "processing", (name, card)
        assert card["imgs"] == [], (name, card)
        assert "processing" in card["text"] and truth[name]["id"][:8] in card["text"]
    assert XSS_IMG in cards[XSS_IMG]["text"] and XSS_SCRIPT in cards[XSS_SCRIPT]["text"]
    assert page.evaluate(JS_XSS) == NO_XSS
    wait_for(
        lambda: processing(SHOWCASE_CELL, len(SHOWCASE)),
        30,
        "the showcase panel to show 8 PROCESSING cards",
        lambda: repr(page.evaluate(JS_PANEL, SHOWCASE_CELL)),
    )

    # 3. Let the uploads process (one of the showcase stays PROCESSING for the screenshot).
    box.set_status(truth[HELD]["id"], "PROCESSING")
    gate.release()

    def finished() -> dict[str, Any] | None:
        page.evaluate(JS_SCROLL_TO_CELL, TEST_CELL)  # lazy thumbnails load in view
        panel = page.evaluate(JS_PANEL, TEST_CELL)
        cards = _by_name(panel)
        if f"{len(UPLOADS)}/{len(UPLOADS)} finished" not in (panel or {}).get("labels", []):
            return None
        if any(c["status"] == "READY" and not _loaded(c) for c in cards.values()):
            return None
        return panel

    panel = wait_for(
        finished,
        60,
        "every upload to finish and READY thumbnails to load",
        lambda: repr(page.evaluate(JS_PANEL, TEST_CELL)),
    )
    outcome = {a["name"]: a for a in box.assets() if a["name"] in NAMES}
    statuses = {name: a["status"] for name, a in outcome.items()}
    assert "FAILED" in statuses.values() and "READY" in statuses.values(), (
        f"seed {SANDBOX_OPTIONS['seed']} should give a mix of READY and FAILED: {statuses}"
    )
    assert "done" in panel["labels"], panel["labels"]
    cards = _by_name(panel)
    for name, card in cards.items():
        asset = outcome[name]
        assert card["status"] == asset["status"], (name, card)
        if asset["status"] == "READY":
            thumb = f"{box.url}/files/{asset['id']}/thumbnail.png"
            assert asset["thumbnailUrl"] == thumb
            loaded = {"src": thumb, "complete": True, "width": THUMBNAIL_SIZE[0]}
            assert card["imgs"] == [loaded], (name, card)
            assert card["placeholder"] is None
            assert "processed in ~" in card["text"]
        else:
            assert card["imgs"] == [] and card["placeholder"] == "failed", (name, card)

    # 4. The HTML in names is text: shown literally, never parsed or run.
    assert XSS_IMG in cards[XSS_IMG]["text"] and XSS_SCRIPT in cards[XSS_SCRIPT]["text"]
    assert page.evaluate(JS_XSS) == NO_XSS
    assert box.api_key not in page.content(), "the API key reached the page"

    # 5. The showcase, for docs/panel.png: 6 READY with thumbnails, 1 FAILED, 1 PROCESSING.
    def showcase_settled() -> dict[str, Any] | None:
        page.evaluate(JS_SCROLL_TO_CELL, SHOWCASE_CELL)
        panel = page.evaluate(JS_PANEL, SHOWCASE_CELL)
        cards = _by_name(panel)
        want = f"{len(SHOWCASE) - 1}/{len(SHOWCASE)} finished"
        if want not in (panel or {}).get("labels", []) or len(cards) != len(SHOWCASE):
            return None
        if any(c["status"] == "READY" and not _loaded(c) for c in cards.values()):
            return None
        return panel

    panel = wait_for(
        showcase_settled,
        30,
        "the showcase panel to settle",
        lambda: repr(page.evaluate(JS_PANEL, SHOWCASE_CELL)),
    )
    cards = _by_name(panel)
    showcase = {a["name"]: a for a in box.assets() if a["name"] in SHOWCASE}
    assert {n: c["status"] for n, c in cards.items()} == {
        n: a["status"] for n, a in showcase.items()
    }
    assert cards[HELD]["status"] == "PROCESSING"
    # Crop to the panel with a white margin: no prompt, cell border or focus ring around it.
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    target = page.locator(".jp-Notebook .jp-Cell").nth(SHOWCASE_CELL)
    target = target.locator(".jp-OutputArea-output .widget-vbox").first
    target.evaluate("e => { e.style.padding = '12px'; e.style.background = 'white'; }")
    target.scroll_into_view_if_needed()
    wait_for(
        lambda: showcase_settled() and (target.bounding_box() or {}).get("width", 0) > 600,
        10,
        "the showcase panel to lay out again",
    )
    shot = tmp_path / "panel.png"
    target.screenshot(path=str(shot), animations="disabled")
    if os.environ.get("ARGIL_NB_UPDATE_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)
