"""``argil-nb lab``: the example notebooks in a folder of yours, a sandbox, and JupyterLab.

The notebooks ship inside the package (``argil_nb/notebooks`` in the wheel; the top-level
``notebooks/`` of a checkout), so the command works from any directory.
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
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
    """Copy the notebooks into ``folder``, start a sandbox, then JupyterLab on ``folder``.

    JupyterLab gets ``ARGIL_BASE_URL`` and ``ARGIL_API_KEY`` pointing at the sandbox, so the
    notebooks' ``argil_nb.connect()`` talks to it and what they upload stays visible to
    ``argil-nb list`` against the same URL. Ctrl-C (or SIGTERM) stops both.
    """
    if not _has_jupyterlab():
        raise InvalidArgument('JupyterLab is not installed: pip install "argil-nb[notebooks]"')
    for line in copy_notebooks(folder):
        print(line)
    from ..sandbox import Sandbox

    with Sandbox(seed=0, speed=2.0) as box:
        env = {**os.environ, "ARGIL_BASE_URL": box.base_url, "ARGIL_API_KEY": box.api_key}
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        print(f"sandbox on {box.base_url}; JupyterLab on http://127.0.0.1:{port}/lab", flush=True)
        process = subprocess.Popen([*command, str(folder)], env=env)  # noqa: S603 - fixed argv
        # SIGTERM too must stop JupyterLab, not leave it running without its sandbox.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _has_jupyterlab() -> bool:
    return importlib.util.find_spec("jupyterlab") is not None
