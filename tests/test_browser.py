"""End to end: the StatusPanel and the tables in a real JupyterLab and Notebook 7, driven by
Debian's chromium, in the light and the dark theme.

One sandbox runs in this process on a clock that stands still until the test releases it,
so the uploads are certainly PROCESSING at the first look. One JupyterLab server (which also
serves Notebook 7) and one browser serve every test of this module, in order:

1. JupyterLab, light: every cell of a notebook that uploads and watches; the first look
   (all PROCESSING, pause and resume), then a deleted asset reaching "not found" while the
   rest finish, names with HTML shown as text, cards with 120-character names inside their
   cells, the controls clicked (filter, pager, search, list, export and download, close),
   an axe-core scan of the panel and the table, the screenshot.
2. JupyterLab, dark: the same page in the dark theme: layout, axe, screenshot.
3. Notebook 7: a panel runs to the end, then a kernel restart leaves it saying so.
4. The committed notebooks opened without running them: the saved panel and tables show.

Skipped when chromium is missing, except under ``CI=true``, where that is a failure.
Screenshots are saved in the module's tmp dir; ``ARGIL_NB_UPDATE_SCREENSHOT=1`` also writes
them to ``docs/panel.png`` and ``docs/panel-dark.png``.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
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
    JS_RESTART,
    JS_RUN_ALL,
    JS_RUN_CELL,
    JS_SCROLL_TO_CELL,
    JS_THEME,
    JS_XSS,
    GateClock,
    LabServer,
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
assert len(LONG_1) >= 120 and len(LONG_2) == 120
# (file, name): name None means the file name. Cell 2 watches these; GONE gets deleted.
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
# A realistic set for the screenshot (cell 4): long names, a failure, a deleted asset and
# one held PROCESSING; the others READY.
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
TEST_CELL, SHOWCASE_CELL, CONTROLS_CELL, TABLE_CELL = 2, 4, 5, 6
# Seed 5 with failure_rate 0.3: some of the uploads end FAILED, most READY.
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
SHOTS = ("panel.png", "panel-dark.png")


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
                            ("notebook", "notebook")):  # fmt: skip
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


def _write(path: Path, cells: list[str]) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, path)


PID = 'import os, pathlib\npathlib.Path(f"kernel-{os.getpid()}.pid").write_text(str(os.getpid()))'


def _notebooks(root: Path) -> None:
    _write(
        root / NOTEBOOK,
        [
            # The URL and key reach the kernel through the environment JupyterLab was
            # given: neither is in the notebook nor printed.
            PID + '\nassert os.environ["ARGIL_BASE_URL"].startswith("http://127.0.0.1:")\n'
            'assert os.environ["ARGIL_API_KEY"]',
            "import argil_nb as an\n\n"
            "client = an.connect()\n"
            f"CDN = {CDN!r}\n"
            f"uploads = {UPLOADS!r}\n"
            "ids = [client.create_asset(CDN + file, name=name).id for file, name in uploads]\n"
            'print(len(ids), "uploads")',
            "an.watch(ids, client=client, interval=0.5)",
            f"showcase = [client.create_asset(CDN + name).id for name in {list(SHOWCASE)!r}]",
            "an.watch(showcase, client=client, interval=0.5)",
            'controls = an.watch(ids, client=client, interval=0.5, page_size=4, layout="cards",\n'
            '                    export_path="exported.csv")\ncontrols',
            "an.show(client.get_assets(ids + showcase, errors='coerce'))",
        ],
    )
    _write(
        root / NOTEBOOK_7,
        [
            PID,
            "import argil_nb as an\n\nclient = an.connect()\n"
            f"ids = [client.create_asset({CDN!r} + n).id for n in {[LONG_1, 'a.png', 'b.mp4']!r}]",
            "an.watch(ids, client=client, interval=0.5)",
        ],
    )
    saved = root / "committed"
    saved.mkdir()
    for name in ("01_explore_assets.ipynb", "02_live_watch.ipynb"):
        shutil.copyfile(REPO / "notebooks" / name, saved / name)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, box: Sandbox) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("lab")
    root, state = base / "root", base / "state"
    root.mkdir()
    state.mkdir()
    _notebooks(root)
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

    def page(self, lab: LabServer, url: str) -> Any:
        page = self.browser.new_page(
            viewport={"width": 1280, "height": 1000}, accept_downloads=True
        )
        page.set_default_timeout(30_000)

        def block(route: Any) -> None:
            self.outside.append(route.request.url)
            route.abort()

        # Nothing may leave the machine: not JupyterLab, not the panel (whose uploads name
        # cdn.example.com URLs that must never be fetched).
        page.route(lambda u: not LOOPBACK.match(u) and not u.startswith("data:"), block)
        page.goto(f"{lab.url}{url}{'&' if '?' in url else '?'}token={lab.token}")
        return page


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        made = Browser(p, chromium)
        try:
            yield made
        finally:
            made.browser.close()
    assert made.outside == [], f"requests left the machine: {made.outside}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


class Session:
    """The JupyterLab page shared by the light and dark tests."""

    page: Any = None


@pytest.fixture(scope="module")
def session() -> Session:
    return Session()


def _debug(page: Any, lab: LabServer, where: Path, exc: BaseException) -> AssertionError:
    shot = where / "failure.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
        outputs = page.evaluate(JS_OUTPUTS)
    except Exception as inner:  # the page may be gone
        outputs = f"(no notebook outputs: {inner})"
    return AssertionError(
        f"{exc}\n--- notebook outputs ---\n{outputs}\n{lab.log_tail()}\ndebug screenshot: {shot}"
    )


def _open(page: Any, path: str) -> None:
    def state() -> str:
        return str(page.evaluate(JS_KERNEL_STATE, path))

    wait_for(lambda: state() == "connected/idle", 60, f"{path}'s kernel to be idle", state)


def _panel(page: Any, cell: int) -> dict[str, Any]:
    return page.evaluate(JS_PANEL, cell) or {}


def _by_name(panel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {card["title"]: card for card in panel.get("cards", [])}


def _loaded(card: dict[str, Any]) -> bool:
    return len(card["imgs"]) == 1 and card["imgs"][0]["complete"] and card["imgs"][0]["width"] > 0


def _assert_layout(panel: dict[str, Any]) -> None:
    """No card wider than its cell, no two overlapping, one height, long names cut."""
    cards = panel["cards"]
    assert cards
    for card in cards:
        box, cell = card["box"], card["cell"]
        assert box["w"] <= cell["w"] + 0.5 and box["right"] <= cell["right"] + 0.5, card
        assert card["createdLines"] <= 1, card  # the time never wraps
    assert len({round(card["box"]["h"]) for card in cards}) == 1, [c["box"] for c in cards]
    for a, b in itertools.combinations(cards, 2):
        assert not overlaps(a["box"], b["box"]), (a["title"], b["title"])
    long = [card for card in cards if len(card["title"] or "") >= 120]
    assert long and all(card["nameCut"] for card in long), "long names are not ellipsised"


def _assert_accessible(page: Any) -> None:
    table = ".jp-OutputArea-output:has(.argil-table)"  # the table and its count line
    for cell, selector in ((SHOWCASE_CELL, ".argil-panel"), (TABLE_CELL, table)):
        problems = axe_problems(page, cell, selector)
        assert problems == [], f"axe-core, cell {cell} {selector}: {problems}"


def _screenshot(page: Any, shots: Path, name: str) -> None:
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.evaluate(JS_SCROLL_TO_CELL, SHOWCASE_CELL)
    target = page.locator(".jp-Notebook .jp-Cell").nth(SHOWCASE_CELL).locator(".argil-panel")
    target.evaluate(
        "e => { e.style.padding = '12px'; e.style.background = 'var(--jp-layout-color0)'; }"
    )
    time.sleep(0.3)  # one frame for the padding
    target.screenshot(path=str(shots / name), animations="disabled")
    if os.environ.get("ARGIL_NB_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shots / name, REPO / "docs" / name)


def test_jupyterlab_light(browser, box, gate, lab, shots, session) -> None:
    page = session.page = browser.page(lab, f"/lab/tree/{quote(NOTEBOOK)}")
    try:
        _light(page, box, gate, lab)
        _screenshot(page, shots, SHOTS[0])
    except Exception as exc:
        raise _debug(page, lab, shots, exc) from exc


def _light(page: Any, box: Sandbox, gate: GateClock, lab: LabServer) -> None:
    # 1. The notebook is open, its kernel idle; run every cell.
    _open(page, NOTEBOOK)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    assert page.evaluate(JS_RUN_ALL, NOTEBOOK) == 7

    def uploaded() -> bool:
        assert "Traceback" not in page.evaluate(JS_OUTPUTS), "a cell raised"
        return len(box.assets()) == len(UPLOADS) + len(SHOWCASE)

    wait_for(uploaded, 40, "the notebook's uploads to reach the sandbox")
    truth = {a["name"]: a for a in box.assets()}

    # 2. First look, while the sandbox clock stands still: everything PROCESSING.
    def processing(cell: int, count: int) -> dict[str, Any] | None:
        panel = _panel(page, cell)
        cards = panel.get("cards", [])
        ok = len(cards) == count and all(c["status"] == "PROCESSING" for c in cards)
        return panel if ok else None

    page.evaluate(JS_SCROLL_TO_CELL, TEST_CELL)
    panel = wait_for(lambda: processing(TEST_CELL, len(UPLOADS)), 30, "7 PROCESSING cards",
                     lambda: repr(_panel(page, TEST_CELL)))  # fmt: skip
    assert f"0/{len(UPLOADS)} finished" in panel["labels"]
    assert any(label.startswith("watching, every 0.5 s") for label in panel["labels"])
    cards = _by_name(panel)
    assert sorted(cards) == sorted(NAMES)
    for name, card in cards.items():
        assert card["placeholder"] == "processing" and card["imgs"] == [], (name, card)
        assert truth[name]["id"][:8] in card["text"]
    assert cards[XSS_IMG]["name"] == XSS_IMG and cards[XSS_SCRIPT]["name"] == XSS_SCRIPT
    assert page.evaluate(JS_XSS) == NO_XSS

    # Pause and resume, while it is watching.
    controls = page.locator(".jp-Notebook .jp-Cell").nth(CONTROLS_CELL)
    wait_for(lambda: processing(CONTROLS_CELL, 4), 30, "the controls panel")
    controls.get_by_role("button", name="pause").click()
    wait_for(lambda: "paused" in _panel(page, CONTROLS_CELL)["labels"], 10, "paused")
    controls.get_by_role("button", name="resume").click()
    wait_for(lambda: any(x.startswith("watching") for x in _panel(page, CONTROLS_CELL)["labels"]),
             10, "watching again")  # fmt: skip

    # 3. Delete one upload, then let the rest process (the showcase gets its statuses).
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

    def finished() -> dict[str, Any] | None:
        page.evaluate(JS_SCROLL_TO_CELL, TEST_CELL)  # lazy thumbnails load in view
        panel = _panel(page, TEST_CELL)
        if f"{len(UPLOADS)}/{len(UPLOADS)} finished" not in panel.get("labels", []):
            return None
        if any(c["status"] == "READY" and not _loaded(c) for c in panel["cards"]):
            return None
        return panel

    panel = wait_for(finished, 60, "every upload to finish, READY thumbnails loaded",
                     lambda: repr(_panel(page, TEST_CELL)))  # fmt: skip
    assert "done" in panel["labels"]
    outcome = {a["name"]: a for a in box.assets()}
    cards = _by_name(panel)
    assert cards[GONE]["status"] == "NOT FOUND" and GONE not in outcome
    assert cards[GONE]["note"] == "deleted: the API answers 404"
    statuses = {n: c["status"] for n, c in cards.items() if n != GONE}
    assert "FAILED" in statuses.values() and "READY" in statuses.values(), statuses
    for name, card in cards.items():
        if name == GONE:
            continue
        assert card["status"] == outcome[name]["status"], (name, card)
        if card["status"] == "READY":
            thumb = f"{box.url}/files/{outcome[name]['id']}/thumbnail.png"
            assert card["imgs"] == [{"src": thumb, "complete": True, "width": THUMBNAIL_SIZE[0]}]
            assert card["note"].startswith("processed in ")
        else:
            assert card["imgs"] == [] and card["placeholder"] == "failed", (name, card)
    assert page.evaluate(JS_XSS) == NO_XSS
    assert box.api_key not in page.content(), "the API key reached the page"

    # 4. The showcase: long names inside their cells, every state, then the controls.
    def settled() -> dict[str, Any] | None:
        page.evaluate(JS_SCROLL_TO_CELL, SHOWCASE_CELL)
        panel = _panel(page, SHOWCASE_CELL)
        want = f"{len(SHOWCASE) - 1}/{len(SHOWCASE)} finished"
        if want not in panel.get("labels", []) or len(panel["cards"]) != len(SHOWCASE):
            return None
        if any(c["status"] == "READY" and not _loaded(c) for c in panel["cards"]):
            return None
        return panel

    panel = wait_for(settled, 30, "the showcase to settle", lambda: repr(_panel(page, 4)))
    labels = {"NOT_FOUND": "NOT FOUND"}
    assert {c["title"]: c["status"] for c in panel["cards"]} == {
        n.removeprefix(CDN): labels.get(s, s) for n, s in SHOWCASE.items()
    }
    _assert_layout(panel)
    _controls(page, lab)
    page.evaluate(JS_RUN_CELL, [NOTEBOOK, TABLE_CELL])  # the table, now with thumbnails
    wait_for(lambda: page.locator(".argil-table img").count() >= 6, 20, "the table's images")
    assert page.locator(".argil-table img[src^='data:image/png']").count() >= 6
    _assert_accessible(page)


def _controls(page: Any, lab: LabServer) -> None:
    """Filter, pager, search, list, export and download, close: each visibly does its job."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(CONTROLS_CELL)
    page.evaluate(JS_SCROLL_TO_CELL, CONTROLS_CELL)
    wait_for(lambda: "done" in _panel(page, CONTROLS_CELL)["labels"], 30, "controls done")
    assert "page 1 of 2" in _panel(page, CONTROLS_CELL)["labels"]
    first = [c["title"] for c in _panel(page, CONTROLS_CELL)["cards"]]
    cell.get_by_role("button", name="next ▶").click()
    wait_for(lambda: "page 2 of 2" in _panel(page, CONTROLS_CELL)["labels"], 10, "page 2")
    second = [c["title"] for c in _panel(page, CONTROLS_CELL)["cards"]]
    assert len(first) == 4 and second and not set(first) & set(second)

    cell.locator("select").first.select_option(label="FAILED")
    wait_for(lambda: "page 1 of 1" in _panel(page, CONTROLS_CELL)["labels"], 10, "filtered")
    failed = _panel(page, CONTROLS_CELL)["cards"]
    assert failed and all(c["status"] == "FAILED" for c in failed)
    hint = f"exports the {len(failed)} row{'s' if len(failed) > 1 else ''} shown (FAILED)"
    assert hint in _panel(page, CONTROLS_CELL)["labels"]

    cell.get_by_role("button", name="export CSV").click()
    target = lab.root / "exported.csv"
    wrote = f"wrote {len(failed)} row{'s' if len(failed) > 1 else ''} to {target}"
    wait_for(lambda: wrote in _panel(page, CONTROLS_CELL)["labels"], 10, "the export")
    with page.expect_download() as download:
        cell.locator("a[download]").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename == "exported.csv"
    assert saved.read_bytes() == target.read_bytes()  # the same file, in the browser

    cell.locator("select").first.select_option(label="all")
    cell.get_by_placeholder("name or id").fill("xss")
    wait_for(lambda: len(_panel(page, CONTROLS_CELL)["cards"]) == 2, 10, "the search")
    cell.get_by_role("button", name="list").click()
    wait_for(lambda: page.locator(".jp-Notebook .jp-Cell").nth(CONTROLS_CELL)
             .locator(".argil-row").count() == 2, 10, "the list view")  # fmt: skip

    cell.get_by_role("button", name="close").click()
    closed = wait_for(lambda: (_panel(page, CONTROLS_CELL).get("snapshot") or None), 10,
                      "the panel to leave its snapshot")  # fmt: skip
    assert not _panel(page, CONTROLS_CELL)["live"] and "closed" in closed
    assert page.evaluate(JS_XSS) == NO_XSS  # the snapshot escapes names too


def test_jupyterlab_dark(box, lab, shots, session) -> None:
    page = session.page
    if page is None:
        pytest.skip("the light test did not open the page")
    try:
        page.evaluate(JS_THEME, "JupyterLab Dark")
        wait_for(lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "false",
                 20, "the dark theme")  # fmt: skip
        time.sleep(0.5)  # the theme's stylesheet applies
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor"
        )
        assert background == "rgb(17, 17, 17)", background
        _assert_layout(_panel(page, SHOWCASE_CELL))
        _assert_accessible(page)
        _screenshot(page, shots, SHOTS[1])
    except Exception as exc:
        raise _debug(page, lab, shots, exc) from exc
    finally:
        page.evaluate(JS_THEME, "JupyterLab Light")


def test_notebook_7_and_a_kernel_restart(browser, gate, lab, shots) -> None:
    gate.release()  # uploads process in real time here
    page = browser.page(lab, f"/notebooks/{NOTEBOOK_7}")
    try:
        _open(page, NOTEBOOK_7)
        page.evaluate(JS_RUN_ALL, NOTEBOOK_7)
        done = wait_for(lambda: "done" in _panel(page, 2).get("labels", []) and _panel(page, 2),
                        40, "the Notebook 7 panel to finish", lambda: repr(_panel(page, 2)))  # fmt: skip
        assert "3/3 finished" in done["labels"]
        _assert_layout(done)
        page.evaluate(JS_RESTART, NOTEBOOK_7)
        stale = page.locator(".argil-stale").first
        wait_for(lambda: stale.is_visible(), 20, "the panel to say the kernel is gone")
        assert page.locator(".argil-live").first.is_hidden()  # "done" / "watching" hidden
    except Exception as exc:
        raise _debug(page, lab, shots, exc) from exc
    finally:
        page.close()


@pytest.mark.parametrize(
    ("name", "selector", "images"),
    [
        ("01_explore_assets.ipynb", ".argil-table img, .argil-asset img", 8),
        ("02_live_watch.ipynb", ".argil-snapshot img", 7),
    ],
)
def test_committed_notebooks_show_without_running(browser, lab, shots, name, selector, images):
    # A workspace of its own: only this notebook open, nothing restored from the others.
    page = browser.page(lab, f"/lab/workspaces/{name[:2]}/tree/committed/{name}?reset")
    try:
        pictures = page.locator(selector)
        wait_for(lambda: pictures.count() >= images, 30, f"{name}'s saved images")

        def loaded() -> bool:
            return all(
                p["complete"] and p["width"] > 0 and p["src"].startswith("data:image/png")
                for p in pictures.evaluate_all(
                    "all => all.map(i => ({complete: i.complete, width: i.naturalWidth, "
                    "src: i.getAttribute('src')}))"
                )
            )

        wait_for(loaded, 20, f"{name}'s thumbnails to load from the notebook itself")
        text = page.locator(".jp-Notebook").inner_text()
        assert "Error displaying widget" not in text and "Loading widget" not in text
        if name.startswith("02"):
            snapshot = page.locator(".argil-snapshot").first.inner_text()
            assert "8/8 finished" in snapshot and "closed" in snapshot
    except Exception as exc:
        raise _debug(page, lab, shots, exc) from exc
    finally:
        page.close()
