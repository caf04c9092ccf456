"""``argil-nb lab``: the example notebooks in a folder of yours, a sandbox, and JupyterLab.

The notebooks ship inside the package (``argil_nb/notebooks`` in the wheel; the top-level
``notebooks/`` of a checkout), so the command works from any directory.
"""

from __future__ import annotations

import contextlib
import filecmp
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..errors import InvalidArgument

__all__ = ["copy_notebooks", "run_lab", "shipped_notebooks"]

DEFAULT_FOLDER = "argil-notebooks"


def shipped_notebooks() -> Path:
    """The folder of the example notebooks that came with argil_nb."""
    package = Path(__file__).resolve().parent.parent  # argil_nb/
    for folder in (package / "notebooks", package.parent / "notebooks"):  # wheel, checkout
        if any(folder.glob("*.ipynb")):
            return folder
    raise InvalidArgument(f"the example notebooks are missing from {package}; reinstall argil-nb")


def copy_notebooks(folder: str | os.PathLike[str]) -> list[str]:
    """Copy the example notebooks into ``folder`` (made if missing), never over a file there.

    Returns
    -------
    list of str
        One line per notebook: copied, already there, or kept (yours differs from ours).
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise InvalidArgument(f"{str(target)!r} exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    source = shipped_notebooks()
    if target.resolve() == source.resolve():
        return [f"{target}: the notebooks argil_nb came with"]
    lines = []
    for notebook in sorted(source.glob("*.ipynb")):
        destination = target / notebook.name
        if not destination.exists():
            shutil.copyfile(notebook, destination)
            lines.append(f"copied {destination}")
        elif filecmp.cmp(notebook, destination, shallow=False):
            lines.append(f"{destination} is up to date")
        else:
            lines.append(f"kept your {destination} (it differs from the one argil_nb ships)")
    return lines


def run_lab(folder: str | os.PathLike[str] = DEFAULT_FOLDER, port: int = 8888) -> int:
    """Copy the notebooks into ``folder``, then JupyterLab on ``folder``, on a sandbox.

    JupyterLab gets ``ARGIL_BASE_URL`` and ``ARGIL_API_KEY`` pointing at the sandbox (the
    shared one of ``argil-nb sandbox --background`` when it runs, else one of its own), so
    the notebooks' ``argil_nb.connect()`` talks to it, never to the user's account. Once
    JupyterLab serves, one line gives its address as JupyterLab reports it: the port it took
    (the next free one when ``port`` is busy) and its token. Ctrl-C (or SIGTERM) stops both.
    """
    if not _has_jupyterlab():
        raise InvalidArgument('JupyterLab is not installed: pip install "argil-nb[notebooks]"')
    for line in copy_notebooks(folder):
        print(line, flush=True)
    from ..sandbox import Sandbox
    from .shared import find

    with contextlib.ExitStack() as stack:
        running = find()
        if running is not None:
            base_url, key = running.base_url, running.api_key
            print(f"argil-nb lab: on the shared sandbox {base_url}", file=sys.stderr)
        else:
            box = stack.enter_context(Sandbox(seed=0, speed=2.0))
            base_url, key = box.base_url, box.api_key
        env = {**os.environ, "ARGIL_BASE_URL": base_url, "ARGIL_API_KEY": key}
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        process = subprocess.Popen([*command, str(folder)], env=env)  # noqa: S603 - fixed argv
        # SIGTERM too must stop JupyterLab, not leave it running without its sandbox.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            address = _served_address(process, port)
            print(f"sandbox on {base_url}; JupyterLab on {address}", flush=True)
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
    return 0  # pragma: no cover - mypy: the with block returns


def _served_address(process: subprocess.Popen[bytes], port: int, timeout: float = 120) -> str:
    """The address JupyterLab serves, with its token, from the file it writes once serving
    (``jpserver-PID.json`` in Jupyter's runtime folder); the port asked if it never comes."""
    from jupyter_core.paths import jupyter_runtime_dir

    info = Path(jupyter_runtime_dir()) / f"jpserver-{process.pid}.json"
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            served = json.loads(info.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # not written yet, or half written
            time.sleep(0.2)
            continue
        url = str(served.get("url") or f"http://localhost:{served.get('port', port)}/")
        token = served.get("token")
        return url.rstrip("/") + "/lab" + (f"?token={token}" if token else "")
    return f"http://localhost:{port}/lab (or the next free port: see JupyterLab's log)"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _has_jupyterlab() -> bool:
    return importlib.util.find_spec("jupyterlab") is not None
