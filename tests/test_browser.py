"""End to end: the StatusPanel and the tables in real front ends driven by Debian's chromium:
JupyterLab 4 (light and dark), Notebook 7 and marimo.

One sandbox runs in this process on a clock that stands still until the test releases it,
so the uploads are certainly PROCESSING at the first look. One JupyterLab server (which also
serves Notebook 7) and one browser serve the Jupyter tests of this module, in order:

1. JupyterLab, light: a notebook that uploads and watches; the first look (all PROCESSING,
   hostile names as text), then a deleted asset reaching "not found" while the rest finish,
   the finished panel turning into its saved view; the showcase panel (one asset held
   PROCESSING, so it stays live): fixed-size cards, axe-core, the screenshot.
2. JupyterLab, dark: the same page in the dark theme: layout, axe, screenshot.
3. The controls, in the browser with no round trip (filter, search, pager, list view), the
   title's progress, export and its download, close.
4. A slow API and a thumbnail host that never answers: a refresh click and a filter change
   do not delay the next cell's output by more than 0.5 s.
5. Notebook 7: a panel runs to the end; a kernel restart leaves a live one saying so.
6. The committed notebooks opened without running them: saved views, no widget error, not
   marked modified.
7. marimo: ``marimo run notebooks/05_watch_in_marimo.py`` shows the panel, which finishes
   and filters (Playwright's locators reach into marimo's shadow roots).

Skipped when chromium is missing, except under ``CI=true``, where that is a failure.
Screenshots are saved in the module's tmp dir; ``ARGIL_NB_UPDATE_SCREENSHOT=1`` also writes
them to ``docs/``.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import threading
import time
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
    JS_PROBE,
    JS_RESTART,
    JS_RUN_ALL,
    JS_RUN_CELL,
    JS_SCROLL_TO_CELL,
    JS_THEME,
    JS_XSS,
    GateClock,
    LabServer,
    MarimoServer,
    axe_problems,
    kill_pid_file,
    overlaps,
    wait_for,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "argil panel e2e.ipynb"  # a space: the URL must be quoted
NOTEBOOK_7 = "notebook7.ipynb"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
CDN = "https://cdn.example.com/uploads/"
LONG_1 = ("quarterly-all-hands-keynote-recording-with-live-captions-and-sign-language-"
          "interpretation-final-director-cut-v12-export.mp4")  # fmt: skip
LONG_2 = "x" * 111 + "-tail.png"  # 120 characters, no break anywhere
GONE = "deleted-while-watched.mp4"
UPLOADS: list[tuple[str, str | None]] = [
    ("intro-clip.mp4", None),
    ("xss-1.png", XSS_IMG),
    ("cover.png", LONG_2),
    ("xss-2.mp4", XSS_SCRIPT),
    ("banner.jpg", None),
    (GONE, None),
    ("outro.mp4", None),
]
# The screenshot's set: long names, a failure, a deleted asset and one held PROCESSING (so
# this panel stays live), the others READY.
SHOWCASE = {
    LONG_1: "READY",
    "hero-banner@2x.png": "READY",
    "team-offsite-2026-highlights.mp4": "READY",
    "webinar-recording-2026-03-full.mp4": "FAILED",
    "customer-testimonial-anna.mp4": "READY",
    "old-logo-removed.png": "NOT_FOUND",
    LONG_2.replace("-tail.png", "-end.jpg"): "READY",
    "launch-teaser-vertical-9x16.mp4": "PROCESSING",
}
HELD = ["held-while-restarting.mp4", "hero-banner@2x.png", LONG_1, "team-photo.jpg"]
TEST_CELL, SHOWCASE_CELL, TABLE_CELL, SLOW_CELL, NEXT_CELL = 2, 4, 5, 7, 8
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
SHOTS = ("panel.png", "panel-dark.png", "panel-notebook7.png", "panel-marimo.png")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI=true requires the browser test to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        _unavailable(f"chromium not found ({CHROMIUM} nor on PATH): apt-get install chromium")
    for module, package in (("playwright.sync_api", "playwright"),
                            ("axe_playwright_python", "axe-playwright-python"),
                            ("notebook", "notebook"), ("marimo", "marimo")):  # fmt: skip
        try:
            __import__(module)
        except ImportError:
            _unavailable(f"{package} is not installed: pip install 'argil-nb[test]'")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def gate() -> GateClock:
    return GateClock()


@pytest.fixture(scope="module")
def box(gate: GateClock) -> Iterator[Sandbox]:
    with Sandbox(clock=gate, **SANDBOX_OPTIONS) as sb:
        yield sb


class Hanging:
    """A thumbnail host that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/thumb.png"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture(scope="module")
def hanging() -> Iterator[Hanging]:
    host = Hanging()
    yield host
    host.close()


def _write(path: Path, cells: list[str]) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, path)


PID = 'import os, pathlib\npathlib.Path(f"kernel-{os.getpid()}.pid").write_text(str(os.getpid()))'


def _notebooks(root: Path, slow_url: str, hanging_url: str) -> None:
    _write(
        root / NOTEBOOK,
        [
            # The URL and key reach the kernel through the environment JupyterLab was
            # given: neither is in the notebook nor printed.
            PID + '\nassert os.environ["ARGIL_BASE_URL"].startswith("http://127.0.0.1:")',
            "import argil_nb as an\n\n"
            "client = an.connect()\n"
            f"CDN = {CDN!r}\n"
            f"uploads = {UPLOADS!r}\n"
            "ids = [client.create_asset(CDN + file, name=name).id for file, name in uploads]\n"
            'print(len(ids), "uploads")',
            "an.watch(ids, client=client, interval=0.5)",
            f"showcase = [client.create_asset(CDN + name).id for name in {list(SHOWCASE)!r}]",
            "show = an.watch(showcase, client=client, interval=0.5, page_size=4, layout='cards',\n"
            "                export_path='exported.csv')\nshow",
            "an.show(client.get_assets(ids + showcase, errors='coerce'))",
            # The slow API (another sandbox, 1.5 s per request) with thumbnails that hang.
            "import argil_nb.sandbox\n"
            f"slow = an.Client(api_key=os.environ['ARGIL_API_KEY'], base_url={slow_url!r})\n"
            f"slow_ids = [a['id'] for a in slow.list_assets().to_dict('records')]",
            "slowpanel = an.watch(slow_ids, client=slow, interval=0.5, inline_thumbnails=True)\n"
            "slowpanel",
            'print("next")',
        ],
    )
    _write(
        root / NOTEBOOK_7,
        [
            PID,
            "import argil_nb as an\n\nclient = an.connect()\n"
            f"ids = [client.create_asset({CDN!r} + n).id for n in {[LONG_1, 'a.png', 'b.mp4']!r}]",
            "an.watch(ids, client=client, interval=0.5)",
            f"held = [client.create_asset({CDN!r} + n).id for n in {HELD!r}]\n"
            "live = an.watch(held, client=client, interval=0.5)\nlive",
        ],
    )
    saved = root / "committed"
    saved.mkdir()
    for name in ("01_explore_assets.ipynb", "02_live_watch.ipynb"):
        shutil.copyfile(REPO / "notebooks" / name, saved / name)
    _ = hanging_url


@pytest.fixture(scope="module")
def slow(hanging: Hanging, box: Sandbox) -> Iterator[Sandbox]:
    """A second sandbox, answering in 1.5 s, whose READY thumbnails point at ``hanging``."""
    with Sandbox(seed=9, initial_assets=0, latency=1.5, api_key=box.api_key) as sb:
        for n in range(6):
            sb.add_asset({"id": f"00000000-0000-4000-8000-{n:012d}", "name": f"slow-{n}.png",
                          "type": "IMAGE", "status": "READY" if n % 2 else "PROCESSING",
                          "createdAt": "2026-11-01T10:00:00Z", "thumbnailUrl": hanging.url})  # fmt: skip
        yield sb


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, box: Sandbox, slow: Sandbox, hanging: Hanging
) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("lab")
    root, state = base / "root", base / "state"
    root.mkdir()
    state.mkdir()
    _notebooks(root, slow.base_url, hanging.url)
    server = LabServer(root, state, {"ARGIL_BASE_URL": box.base_url, "ARGIL_API_KEY": box.api_key})
    try:
        server.start()
        yield server
    finally:
        server.shutdown_kernels()
        server.stop()
        for pid_file in root.rglob("kernel-*.pid"):
            kill_pid_file(pid_file)  # only if the server left a kernel behind


class Browser:
    """One chromium for the module; pages that may only talk to this machine."""

    def __init__(self, playwright: Any, path: str) -> None:
        self.browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        self.outside: list[str] = []

    def page(self, url: str) -> Any:
        context = self.browser.new_context(
            viewport={"width": 1280, "height": 1000}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(30_000)

        def block(route: Any) -> None:
            self.outside.append(route.request.url)
            route.abort()

        # Nothing may leave the machine: not JupyterLab, not the panel (whose uploads name
        # cdn.example.com URLs that must never be fetched).
        page.route(lambda u: not LOOPBACK.match(u) and not u.startswith("data:"), block)
        page.goto(url)
        page.evaluate(JS_PROBE)
        return page

    def lab(self, lab: LabServer, url: str) -> Any:
        return self.page(f"{lab.url}{url}{'&' if '?' in url else '?'}token={lab.token}")


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        made = Browser(p, chromium)
        try:
            yield made
        finally:
            made.browser.close()
    outside = [u for u in made.outside if "127.0.0.1" not in u]
    assert not [u for u in outside if "example.com" in u or "argil" in u], outside


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


class Session:
    """The JupyterLab page shared by the tests that follow each other."""

    page: Any = None


@pytest.fixture(scope="module")
def session() -> Session:
    return Session()


def _debug(page: Any, where: Path, exc: BaseException, log: str = "") -> AssertionError:
    shot = where / "failure.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
        outputs = page.evaluate(JS_OUTPUTS)
    except Exception as inner:  # the page may be gone
        outputs = f"(no notebook outputs: {inner})"
    return AssertionError(f"{exc}\n--- outputs ---\n{outputs}\n{log}\ndebug screenshot: {shot}")


def _open(page: Any, path: str) -> None:
    def state() -> str:
        return str(page.evaluate(JS_KERNEL_STATE, path))

    wait_for(lambda: state() == "connected/idle", 60, f"{path}'s kernel to be idle", state)


def _panel(page: Any, cell: int) -> dict[str, Any]:
    return page.evaluate(JS_PANEL, cell) or {}


def _loaded(card: dict[str, Any]) -> bool:
    return len(card["imgs"]) == 1 and card["imgs"][0]["complete"] and card["imgs"][0]["width"] > 0


def _assert_layout(panel: dict[str, Any]) -> None:
    """No card wider than its grid, no two overlapping, one height, long names cut, no
    placeholder or "not found" note cut."""
    cards = panel["cards"]
    assert cards
    for card in cards:
        assert card["box"]["right"] <= card["cell"]["right"] + 0.5, card
        assert card["placeholderFits"], card
        if card["status"] == "NOT FOUND":
            assert not card["noteCut"], card
    assert len({round(card["box"]["h"]) for card in cards}) == 1, [c["box"] for c in cards]
    for a, b in itertools.combinations(cards, 2):
        assert not overlaps(a["box"], b["box"]), (a["title"], b["title"])
    long = [card for card in cards if len(card["title"] or "") >= 120]
    assert all(card["nameCut"] for card in long), "long names are not ellipsised"


def _assert_accessible(page: Any) -> None:
    table = ".jp-OutputArea-output:has(.argil-table)"
    for cell, selector in ((SHOWCASE_CELL, ".argil-panel"), (TABLE_CELL, table)):
        problems = axe_problems(page, cell, selector)
        assert problems == [], f"axe-core, cell {cell} {selector}: {problems}"


def _screenshot(page: Any, target: Any, shots: Path, name: str) -> None:
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    target.evaluate(
        "e => { e.style.padding = '12px'; e.style.background = 'var(--jp-layout-color0, transparent)'; }"
    )
    time.sleep(0.3)  # one frame for the padding
    target.screenshot(path=str(shots / name), animations="disabled")
    if os.environ.get("ARGIL_NB_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shots / name, REPO / "docs" / name)


def _showcase(page: Any) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(SHOWCASE_CELL).locator(".argil-panel")


def test_jupyterlab_light(browser, box, gate, lab, shots, session) -> None:
    page = session.page = browser.lab(lab, f"/lab/tree/{quote(NOTEBOOK)}")
    try:
        _light(page, box, gate)
        _screenshot(page, _showcase(page), shots, SHOTS[0])
    except Exception as exc:
        raise _debug(page, shots, exc, lab.log_tail()) from exc


def _light(page: Any, box: Sandbox, gate: GateClock) -> None:
    _open(page, NOTEBOOK)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.evaluate(JS_RUN_ALL, NOTEBOOK)

    def uploaded() -> bool:
        assert "Traceback" not in page.evaluate(JS_OUTPUTS), "a cell raised"
        return len(box.assets()) == len(UPLOADS) + len(SHOWCASE)

    wait_for(uploaded, 40, "the notebook's uploads to reach the sandbox")
    truth = {a["name"]: a for a in box.assets()}

    # First look, while the sandbox clock stands still: everything PROCESSING.
    def processing() -> dict[str, Any] | None:
        panel = _panel(page, TEST_CELL)
        cards = panel.get("cards", [])
        ok = len(cards) == len(UPLOADS) and all(c["status"] == "PROCESSING" for c in cards)
        return panel if ok else None

    page.evaluate(JS_SCROLL_TO_CELL, TEST_CELL)
    panel = wait_for(processing, 30, "7 PROCESSING cards", lambda: repr(_panel(page, TEST_CELL)))
    assert panel["progress"] == f"0/{len(UPLOADS)} finished"
    assert panel["state"].startswith("watching, every 0.5 s")
    cards = {card["title"]: card for card in panel["cards"]}
    assert sorted(cards) == sorted(NAMES)
    for name, card in cards.items():
        assert card["placeholder"] == "processing" and card["imgs"] == [], (name, card)
        assert truth[name]["id"][:8] in card["text"]
    assert cards[XSS_IMG]["name"] == XSS_IMG and cards[XSS_SCRIPT]["name"] == XSS_SCRIPT
    assert page.evaluate(JS_XSS) == NO_XSS

    # Delete one upload, then let the rest process (the showcase gets its statuses).
    admin = box.client()
    admin.delete_asset(truth[GONE]["id"])
    by_name = {a["name"].removeprefix(CDN): a["id"] for a in box.assets()}
    held = next(n for n, s in SHOWCASE.items() if s == "PROCESSING")
    box.set_status(by_name[held], "PROCESSING")
    gate.release()
    for name, status in SHOWCASE.items():
        if status == "NOT_FOUND":
            admin.delete_asset(by_name[name])
        elif status != "PROCESSING":
            box.set_status(by_name[name], status)

    # The first panel finishes and leaves its saved view: no widget, the last state, the CSV.
    def saved() -> dict[str, Any] | None:
        page.evaluate(JS_SCROLL_TO_CELL, TEST_CELL)
        panel = _panel(page, TEST_CELL)
        return panel if panel.get("snapshot") and not panel["live"] else None

    panel = wait_for(saved, 60, "the finished panel's saved view", lambda: repr(_panel(page, 2)))
    assert f"{len(UPLOADS)}/{len(UPLOADS)} finished" in panel["snapshot"]
    assert "done" in panel["snapshot"] and panel["download"] == "argil-status.csv"
    assert "deleted (API: 404)" in panel["snapshot"] and "FAILED" in panel["snapshot"]
    assert page.evaluate(JS_XSS) == NO_XSS
    assert box.api_key not in page.content(), "the API key reached the page"

    # The showcase stays live (one asset PROCESSING): every state, READY thumbnails loaded.
    def settled() -> dict[str, Any] | None:
        page.evaluate(JS_SCROLL_TO_CELL, SHOWCASE_CELL)
        panel = _panel(page, SHOWCASE_CELL)
        if panel.get("progress") != f"{len(SHOWCASE) - 1}/{len(SHOWCASE)} finished":
            return None
        if any(c["status"] == "READY" and not _loaded(c) for c in panel["cards"]):
            return None
        return panel

    panel = wait_for(settled, 40, "the showcase to settle", lambda: repr(_panel(page, 4)))
    assert len(panel["cards"]) == 4 and panel["page"] == "page 1 of 2"
    for card in panel["cards"]:
        if card["status"] == "READY":
            assert card["imgs"][0]["width"] == THUMBNAIL_SIZE[0], card
            assert card["note"].startswith("processed in ")
    _assert_layout(panel)
    page.evaluate(JS_RUN_CELL, [NOTEBOOK, TABLE_CELL])  # the table, now with thumbnails
    wait_for(lambda: page.locator(".argil-table img").count() >= 6, 20, "the table's images")
    _assert_accessible(page)


def test_jupyterlab_dark(box, lab, shots, session) -> None:
    page = session.page
    if page is None:
        pytest.skip("the light test did not open the page")
    try:
        page.evaluate(JS_THEME, "JupyterLab Dark")
        wait_for(lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "false",
                 20, "the dark theme")  # fmt: skip
        time.sleep(0.5)  # the theme's stylesheet applies
        _assert_layout(_panel(page, SHOWCASE_CELL))
        _assert_accessible(page)
        _screenshot(page, _showcase(page), shots, SHOTS[1])
    except Exception as exc:
        raise _debug(page, shots, exc, lab.log_tail()) from exc
    finally:
        page.evaluate(JS_THEME, "JupyterLab Light")


JS_SAME_TURN = """([cell, how]) => {
  // Change a control and read the cards in the same turn of the event loop: what shows
  // cannot have waited for any message from the kernel.
  const panel = document.querySelectorAll('.jp-Notebook .jp-Cell')[cell].querySelector('.argil-panel');
  if (how[0] === 'filter') {
    const select = panel.querySelector('.argil-filter select');
    select.value = how[1];
    select.dispatchEvent(new Event('change'));
  } else if (how[0] === 'search') {
    const input = panel.querySelector('.argil-search input');
    input.value = how[1];
    input.dispatchEvent(new Event('input'));
  } else {
    [...panel.querySelectorAll('button')].find(b => b.textContent === how[1]).click();
  }
  return window.__argilProbe(panel.parentElement);
}"""


def test_controls_need_no_round_trip(box, lab, shots, session) -> None:
    page = session.page
    if page is None:
        pytest.skip("the light test did not open the page")
    try:
        _controls(page, lab)
    except Exception as exc:
        raise _debug(page, shots, exc, lab.log_tail()) from exc


def _controls(page: Any, lab: LabServer) -> None:
    page.evaluate(JS_SCROLL_TO_CELL, SHOWCASE_CELL)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(SHOWCASE_CELL)
    first = [c["title"] for c in _panel(page, SHOWCASE_CELL)["cards"]]
    turned = page.evaluate(JS_SAME_TURN, [SHOWCASE_CELL, ["button", "next ▶"]])
    assert turned["page"] == "page 2 of 2" and not {c["title"] for c in turned["cards"]} & set(
        first
    )
    failed = page.evaluate(JS_SAME_TURN, [SHOWCASE_CELL, ["filter", "FAILED"]])
    assert failed["page"] == "page 1 of 1" and [c["status"] for c in failed["cards"]] == ["FAILED"]
    assert failed["exportLabel"] == "exports the 1 row shown (FAILED)"
    nothing = page.evaluate(JS_SAME_TURN, [SHOWCASE_CELL, ["search", "no such asset"]])
    assert nothing["cards"] == [] and nothing["empty"].startswith("no asset matches (FAILED")
    assert "export CSV" in nothing["disabled"]  # no header-only CSV
    page.evaluate(JS_SAME_TURN, [SHOWCASE_CELL, ["filter", "all"]])
    found = page.evaluate(JS_SAME_TURN, [SHOWCASE_CELL, ["search", "HERO"]])
    assert [c["title"] for c in found["cards"]] == ["hero-banner@2x.png"]
    listed = page.evaluate(JS_SAME_TURN, [SHOWCASE_CELL, ["button", "list"]])
    assert len({round(c["box"]["h"]) for c in listed["cards"]}) == 1
    assert all(c["placeholderFits"] for c in listed["cards"])
    page.evaluate(JS_SAME_TURN, [SHOWCASE_CELL, ["search", ""]])
    wait_for(lambda: page.evaluate("() => 0") == 0, 1, "a frame")

    # Export what is shown (all 8), download it from the page.
    cell.get_by_role("button", name="export CSV").click()
    target = lab.root / "exported.csv"
    wrote = f"wrote {len(SHOWCASE)} rows to {target}"
    wait_for(lambda: _panel(page, SHOWCASE_CELL)["exportLabel"] == wrote, 10, "the export",
             lambda: repr(_panel(page, SHOWCASE_CELL)["exportLabel"]))  # fmt: skip
    with page.expect_download() as download:
        cell.locator("a[download]").click()
    assert download.value.suggested_filename == "exported.csv"
    assert Path(download.value.path()).read_bytes() == target.read_bytes()

    # Notify me when done: the title shows the progress.
    cell.get_by_role("button", name="notify me when done").click()
    wait_for(lambda: page.title() == f"({len(SHOWCASE) - 1}/{len(SHOWCASE)}) argil", 5,
             "the title's progress", page.title)  # fmt: skip

    # Close: the panel leaves its saved view; the close button never moved meanwhile.
    before = _panel(page, SHOWCASE_CELL)["close"]
    cell.get_by_role("button", name="close").click()
    wait_for(lambda: _panel(page, SHOWCASE_CELL).get("snapshot"), 10, "the saved view")
    assert not _panel(page, SHOWCASE_CELL)["live"] and "closed" in _panel(page, 4)["snapshot"]
    assert before["w"] > 0
    assert page.evaluate(JS_XSS) == NO_XSS


JS_NEXT_CELL = """async ([path, index, click]) => {
  // Run a cell right after a click on the slow panel; how long until its output shows.
  const app = window.jupyterapp;
  const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
  const cells = document.querySelectorAll('.jp-Notebook .jp-Cell');
  const slow = cells[index - 1].querySelector('.argil-panel');
  if (click === 'refresh') {
    [...slow.querySelectorAll('button')].find(b => b.textContent === 'refresh now').click();
  } else if (click === 'filter') {
    const select = slow.querySelector('.argil-filter select');
    select.value = select.value === 'READY' ? 'all' : 'READY';
    select.dispatchEvent(new Event('change'));
  }
  panel.content.activeCellIndex = index;
  const start = performance.now();
  app.commands.execute('notebook:run-cell');
  const printed = () => (cells[index].querySelector('.jp-OutputArea-output') || {}).innerText;
  while (!(printed() || '').includes('next')) {
    await new Promise(r => setTimeout(r, 10));
    if (performance.now() - start > 20000) return -1;
  }
  const took = performance.now() - start;
  app.commands.execute('notebook:clear-cell-output');
  return took;
}"""


def test_a_slow_api_never_delays_the_next_cell(browser, lab, shots, session) -> None:
    page = session.page
    if page is None:
        pytest.skip("the light test did not open the page")
    try:
        page.evaluate(JS_SCROLL_TO_CELL, SLOW_CELL)
        wait_for(lambda: _panel(page, SLOW_CELL).get("live"), 30, "the slow panel")
        timings: dict[str, list[float]] = {"none": [], "refresh": [], "filter": []}
        for _ in range(3):
            for click in timings:
                took = page.evaluate(JS_NEXT_CELL, [NOTEBOOK, NEXT_CELL, click])
                assert took >= 0, "the next cell never printed"
                timings[click].append(took / 1000)
        base = min(timings["none"])
        for click in ("refresh", "filter"):
            delay = max(timings[click]) - base
            print(f"\nnext cell after a {click} click: +{delay:.3f} s (baseline {base:.3f} s)")
            assert delay < 0.5, (click, timings)  # the bound the issue names
    except Exception as exc:
        raise _debug(page, shots, exc, lab.log_tail()) from exc
    finally:
        page.close()
        session.page = None


def test_notebook_7_and_a_kernel_restart(browser, box, gate, lab, shots) -> None:
    gate.release()  # uploads process in real time here
    page = browser.lab(lab, f"/notebooks/{NOTEBOOK_7}")
    try:
        _open(page, NOTEBOOK_7)
        page.evaluate(JS_RUN_ALL, NOTEBOOK_7)

        def held() -> str | None:
            found = {a["name"].removeprefix(CDN): a["id"] for a in box.assets()}
            return found.get(HELD[0])

        box.set_status(wait_for(held, 30, "the upload to hold"), "PROCESSING")  # never ends
        live = wait_for(lambda: (p := _panel(page, 3)).get("live") and p, 30, "the held panel")
        done = wait_for(lambda: _panel(page, 2).get("snapshot"), 40, "the first one's saved view")
        assert "3/3 finished" in done and "done" in done
        wait_for(lambda: _panel(page, 3).get("progress") == "3/4 finished", 30, "3 of 4 final",
                 lambda: repr(_panel(page, 3)))  # fmt: skip
        target = page.locator(".jp-Notebook .jp-Cell").nth(3).locator(".argil-panel")
        page.evaluate(JS_SCROLL_TO_CELL, 3)
        wait_for(lambda: all(_loaded(c) for c in _panel(page, 3)["cards"] if c["status"] == "READY"),
                 20, "thumbnails")  # fmt: skip
        _assert_layout(_panel(page, 3))
        _screenshot(page, target, shots, SHOTS[2])
        assert live["live"]
        page.evaluate(JS_RESTART, NOTEBOOK_7)
        wait_for(lambda: _panel(page, 3).get("stale"), 30, "the panel to say the kernel is gone")
        gone = _panel(page, 3)
        assert {"pause", "refresh now", "export CSV", "close"} <= set(gone["disabled"]), gone
    except Exception as exc:
        raise _debug(page, shots, exc, lab.log_tail()) from exc
    finally:
        page.close()


JS_DIRTY = """(path) => {
  const panel = [...window.jupyterapp.shell.widgets('main')].find(
    w => w.context && w.context.path === path);
  return panel && panel.context.isReady ? panel.context.model.dirty : null;
}"""


@pytest.mark.parametrize(
    ("name", "selector", "images"),
    [
        ("01_explore_assets.ipynb", ".argil-table img, .argil-asset img", 8),
        ("02_live_watch.ipynb", ".argil-snapshot img", 7),
    ],
)
def test_committed_notebooks_show_without_running(browser, lab, shots, name, selector, images):
    # A workspace of its own: only this notebook open, nothing restored from the others.
    page = browser.lab(lab, f"/lab/workspaces/{name[:2]}/tree/committed/{name}?reset")
    try:
        pictures = page.locator(selector)
        wait_for(lambda: pictures.count() >= images, 30, f"{name}'s saved images")
        text = page.locator(".jp-Notebook").inner_text()
        assert "Error displaying widget" not in text and "Loading widget" not in text
        if name.startswith("02"):
            snapshot = page.locator(".argil-snapshot").first.inner_text()
            assert "8/8 finished" in snapshot and "done" in snapshot
            assert page.evaluate(JS_DIRTY, f"committed/{name}") is False  # not marked modified
    except Exception as exc:
        raise _debug(page, shots, exc, lab.log_tail()) from exc
    finally:
        page.close()


def test_marimo_shows_the_live_panel(browser, box, gate, tmp_path, shots) -> None:
    gate.release()
    server = MarimoServer(
        REPO / "notebooks" / "05_watch_in_marimo.py",
        tmp_path,
        {"ARGIL_BASE_URL": box.base_url, "ARGIL_API_KEY": box.api_key},
    )
    server.start()
    page = browser.page(server.url)
    try:
        panel = page.locator(".argil-panel")
        wait_for(lambda: panel.count() == 1, 60, "the panel in marimo")
        cards = panel.locator(".argil-card")
        wait_for(lambda: cards.count() == 6, 30, "six cards")

        def final() -> bool:
            badges = panel.locator(".argil-card .argil-badge").all_text_contents()
            return len(badges) == 6 and all(b in ("READY", "FAILED") for b in badges)

        wait_for(final, 60, "every card READY or FAILED",
                 lambda: repr(panel.locator(".argil-card .argil-badge").all_text_contents()))  # fmt: skip
        assert panel.locator(".argil-progress").text_content() == "6/6 finished"
        panel.locator(".argil-filter select").select_option("READY")
        ready = panel.locator(".argil-card .argil-badge").all_text_contents()
        assert ready and set(ready) == {"READY"}
        panel.locator(".argil-filter select").select_option("all")
        wait_for(lambda: panel.locator(".argil-card img").count() >= len(ready), 20, "images")
        _screenshot(page, panel, shots, SHOTS[3])
    except Exception as exc:
        raise _debug(page, shots, exc, server.log_path.read_text(errors="replace")[-3000:]) from exc
    finally:
        page.close()
        server.stop()
