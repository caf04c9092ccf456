"""Helpers for the browser test: a throwaway JupyterLab server, a gated clock, DOM probes.

Nothing here touches the user's home: JupyterLab's settings, workspaces, runtime and config
directories and IPython's directory all live in the test's tmp dir.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class GateClock:
    """A monotonic clock for the sandbox that stands still at 0 until :meth:`release`.

    Uploads stay PROCESSING for as long as the test needs to look at them, then process in
    real time (times the sandbox's ``speed``): the first look at the panel cannot race.
    """

    def __init__(self) -> None:
        self._released_at: float | None = None

    def __call__(self) -> float:
        released = self._released_at
        return 0.0 if released is None else time.monotonic() - released

    def release(self) -> None:
        if self._released_at is None:
            self._released_at = time.monotonic()


def wait_for(
    probe: Callable[[], T | None],
    timeout: float,
    what: str,
    describe: Callable[[], str] = lambda: "",
    interval: float = 0.25,
) -> T:
    """Call ``probe`` until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}\n{describe()}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


class LabServer:
    """JupyterLab on 127.0.0.1 serving ``root``, in its own process group.

    ``extra_env`` reaches the kernels too (they inherit the server's environment).
    """

    START_TIMEOUT = 60.0

    def __init__(self, root: Path, state: Path, extra_env: dict[str, str]) -> None:
        self.root = root
        self.state = state
        self.token = secrets.token_hex(24)
        self.log_path = state / "jupyterlab.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._env = self._environment(extra_env)

    def _environment(self, extra: dict[str, str]) -> dict[str, str]:
        settings = self.state / "lab-settings"
        # A notebook attaches every cell ("none"): with the default windowing, cells out of
        # view skip rendering and their lazy thumbnails would never load.
        _write_json(
            settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
            {"windowingMode": "none"},
        )
        # No news/update toasts over the panel, and no network attempt for them.
        _write_json(
            settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
            {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ARGIL_", "JUPYTER", "IPYTHON")) and k != "PYTHONSTARTUP"
        }
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.state / "lab-workspaces"),
            JUPYTER_CONFIG_DIR=str(self.state / "jupyter-config"),
            JUPYTER_RUNTIME_DIR=str(self.state / "jupyter-runtime"),
            JUPYTER_DATA_DIR=str(self.state / "jupyter-data"),
            IPYTHONDIR=str(self.state / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def start(self) -> None:
        """Start the server; retry on a new port if the one picked was taken meanwhile."""
        for _ in range(3):
            self.port = free_port()
            self._spawn()
            if self._wait_ready():
                return
            self.stop()
            if "already in use" not in self.log_tail():
                break
        raise AssertionError(f"JupyterLab did not start\n{self.log_tail()}")

    def _spawn(self) -> None:
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={self.token}",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.disable_check_xsrf=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",
        ]
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                command,
                cwd=self.root,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends all of it
            )
        finally:
            log.close()

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                if "started" in self.api("/api/status"):
                    return True
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(0.2)
        return False

    def shutdown_kernels(self) -> None:
        """Ask the server to shut its kernels down (they run in process groups of their own)."""
        try:
            for kernel in self.api("/api/kernels"):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        except (OSError, urllib.error.URLError, ValueError, TypeError, KeyError):
            pass

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the group we created: only our server
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no JupyterLab log)"
        return "--- JupyterLab log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])


def kill_pid_file(path: Path) -> None:
    """End the process whose id a notebook wrote to ``path``, if it is still alive."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        for _ in range(20):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


# -- JavaScript probes (run with page.evaluate) ---------------------------------------------

JS_KERNEL_STATE = """(path) => {
  const app = window.jupyterapp;
  if (!app) return 'no app';
  const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
  if (!panel) return 'no notebook';
  if (!panel.context.isReady) return 'notebook loading';
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) return 'no kernel';
  return kernel.connectionStatus + '/' + kernel.status;
}"""

JS_RUN_ALL = """async (path) => {
  const app = window.jupyterapp;
  const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
  app.shell.activateById(panel.id);
  await app.commands.execute('notebook:run-all-cells');
  return panel.content.widgets.length;
}"""

JS_OUTPUTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell, i) => {
  const prompt = cell.querySelector('.jp-InputPrompt');
  const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => {
    const widget = o.querySelector('.jupyter-widgets');
    return widget ? '[widget] ' + o.innerText.slice(0, 400) : o.innerText.slice(0, 2000);
  });
  return `cell ${i} ${prompt ? prompt.innerText.trim() : ''}\\n` + outputs.join('\\n');
}).join('\\n')"""

JS_PANEL = """(cellIndex) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[cellIndex];
  const root = cell && cell.querySelector('.jp-OutputArea');
  if (!root) return null;
  return window.__argilProbe(root);
}"""

# What a panel shows, read from the DOM (defined once per page; marimo's shadow roots too).
JS_PROBE = """() => { window.__argilProbe = (root) => {
  const rect = (e) => {
    const r = e.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height, right: r.right, bottom: r.bottom};
  };
  const panel = root.querySelector('.argil-panel');
  const text = (sel) => { const e = panel && panel.querySelector(sel); return e ? e.textContent : null; };
  const cards = panel ? [...panel.querySelectorAll('.argil-grid .argil-card')].map(c => {
    const name = c.querySelector('.argil-name');
    const note = c.querySelector('.argil-note');
    const holder = c.querySelector('.argil-thumb-placeholder');
    return {
      name: name.textContent, title: name.getAttribute('title'),
      nameCut: name.scrollWidth > name.clientWidth + 1,
      status: c.querySelector('.argil-badge').textContent,
      placeholder: holder ? holder.textContent : null,
      placeholderFits: holder ? holder.scrollWidth <= holder.clientWidth + 1 : true,
      note: note.textContent.trim(), noteCut: note.scrollWidth > note.clientWidth + 1,
      imgs: [...c.querySelectorAll('img')].map(i => ({
        src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth})),
      text: c.textContent, box: rect(c), cell: rect(c.parentElement),
    };
  }) : [];
  const snapshot = root.querySelector('.argil-snapshot');
  const link = root.querySelector('a[download]');
  return {
    live: !!panel, cards,
    progress: text('.argil-progress'), state: text('.argil-state'), timing: text('.argil-timing'),
    exportLabel: text('.argil-export-label'), empty: panel && !panel.querySelector('.argil-empty').hidden
      ? text('.argil-empty') : null,
    page: text('.argil-page'),
    stale: panel ? getComputedStyle(panel.querySelector('.argil-stale')).display !== 'none' : false,
    disabled: panel ? [...panel.querySelectorAll('button')].filter(b => b.disabled).map(b => b.textContent) : [],
    close: panel ? rect(panel.querySelector('.argil-close')) : null,
    snapshot: snapshot ? snapshot.innerText : null,
    download: link ? link.getAttribute('download') : null,
    text: root.innerText,
  };
}; }"""

JS_SCROLL_TO_CELL = """(cellIndex) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[cellIndex];
  if (cell) cell.scrollIntoView({block: 'start'});
}"""

JS_XSS = """() => ({
  xss: typeof window.__xss === 'undefined' ? null : String(window.__xss),
  imgX: document.querySelectorAll('img[src="x"]').length,
  scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__xss'))
    .length,
  onerror: document.querySelectorAll('[onerror]').length,
})"""

JS_THEME = """async (theme) => {
  await window.jupyterapp.commands.execute('apputils:change-theme', {theme});
}"""

JS_RESTART = """async (path) => {
  const app = window.jupyterapp;
  const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
  await panel.sessionContext.session.kernel.restart();
}"""

JS_RUN_CELL = """async ([path, index]) => {
  const app = window.jupyterapp;
  const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
  panel.content.activeCellIndex = index;
  await app.commands.execute('notebook:run-cell');
}"""

JS_AXE = """async ([cellIndex, selector]) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[cellIndex];
  const root = cell && cell.querySelector(selector);
  if (!root) return null;
  // JupyterLab's <body> is 0 px high with overflow hidden (its shell is positioned
  // absolutely): axe would take every text for clipped and skip its contrast.
  document.body.style.minHeight = '100vh';
  root.scrollIntoView({block: 'start'});
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const result = await axe.run(root, {resultTypes: ['violations']});
  return {
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 240))})),
    passed: result.passes.map(p => p.id),
    incomplete: result.incomplete.map(i => [i.id, i.nodes.map(n => n.html.slice(0, 120) + ' :: ' + (n.any[0] || {}).message)]),
  };
}"""


def axe_problems(page: Any, cell: int, selector: str) -> list[dict[str, Any]]:
    """Serious or critical axe-core violations inside ``selector`` of a cell's output.

    axe-core comes bundled with the ``axe-playwright-python`` package (no download).
    """
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    found = page.evaluate(JS_AXE, [cell, selector])
    assert found is not None, f"nothing matches {selector!r} in cell {cell}"
    if os.environ.get("ARGIL_NB_AXE_REPORT"):
        print(f"axe {selector}: passed {found['passed']}; incomplete {found['incomplete']}")
    # The scan looked at the text's contrast (it did not just give up on it).
    assert "color-contrast" in found["passed"], found
    return [v for v in found["violations"] if v["impact"] in ("serious", "critical")]


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    """True when two rectangles share more than a pixel of area."""
    return min(a["right"], b["right"]) - max(a["x"], b["x"]) > 1 and (
        min(a["bottom"], b["bottom"]) - max(a["y"], b["y"]) > 1
    )


class MarimoServer:
    """``marimo run NOTEBOOK --headless --no-token`` on 127.0.0.1, in its own process group."""

    def __init__(self, notebook: Path, state: Path, extra_env: dict[str, str]) -> None:
        self.notebook = notebook
        self.log_path = state / "marimo.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ARGIL_")}
        self.env.update(extra_env, HOME=str(state), XDG_CONFIG_HOME=str(state / "config"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "marimo", "run", str(self.notebook), "--headless",
                   "--no-token", "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise AssertionError(f"marimo did not start\n{self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the group we created: only our server
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass
