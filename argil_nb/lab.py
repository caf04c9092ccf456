"""``argil-nb lab``: a sandbox plus JupyterLab on the notebooks, wired together."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from .errors import InvalidArgument

__all__ = ["run_lab"]


def run_lab(port: int = 8888, notebooks: str = "notebooks") -> int:
    """Start a sandbox, then JupyterLab on ``notebooks`` with ARGIL_* pointing at it.

    The notebooks' ``argil_nb.connect()`` then talks to this sandbox, so what the
    notebooks upload stays visible to ``argil-nb list`` against the same URL. Ctrl-C stops
    both.
    """
    folder = Path(notebooks)
    if not folder.is_dir():
        raise InvalidArgument(f"notebooks folder {notebooks!r} not found; run from the repo root")
    if shutil.which("jupyter") is None and not _has_jupyterlab():
        raise InvalidArgument("JupyterLab is not installed: pip install 'argil-nb[test]'")
    from .sandbox import Sandbox

    with Sandbox(seed=0, speed=2.0) as box:
        env = {**os.environ, "ARGIL_BASE_URL": box.base_url, "ARGIL_API_KEY": box.api_key}
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        print(f"sandbox on {box.base_url}; JupyterLab on http://127.0.0.1:{port}/lab")
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
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return False
    return True
