"""The shared sandbox: one offline sandbox for a chain of ``--sandbox`` commands.

Without it each ``--sandbox`` command has a sandbox of its own, gone when it ends: ids from
``upload`` are unknown to ``watch``, a ``--journal`` can never resume. So
``argil-nb sandbox --background`` starts one in a process of its own, which writes where it
serves (base URL, key, pid) to ``sandbox.json`` in the user's state folder
(``platformdirs.user_state_path``: ``~/.local/state/argil-nb`` on Linux, or under
``$XDG_STATE_HOME``), mode 0600 as it holds the key; it removes the file when it stops.
``argil-nb sandbox --stop`` stops it.

A record is believed only when its sandbox answers with its key: one left behind by a
sandbox that was killed, or by a reboot, is not used, ``--stop`` removes it, and a pid is
never signalled on the word of a stale file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..client import Client
from ..csvio import write_atomically
from ..errors import APIConnectionError, APIError, AuthenticationError

__all__ = [
    "Shared",
    "find",
    "record_path",
    "remove_record",
    "start_background",
    "stop",
    "write_record",
]

_NIL = "00000000-0000-0000-0000-000000000000"
START_SECONDS = 30.0
"""How long ``--background`` waits for its sandbox to serve (it is up in well under 1 s)."""
STOP_SECONDS = 10.0


@dataclass(frozen=True)
class Shared:
    """Where the shared sandbox serves."""

    base_url: str
    api_key: str
    pid: int

    def client(self, **options: Any) -> Client:
        """A client for it."""
        return Client(api_key=self.api_key, base_url=self.base_url, **options)


def record_path() -> Path:
    """``sandbox.json`` in the user's state folder for argil-nb."""
    import platformdirs

    return Path(platformdirs.user_state_path("argil-nb", appauthor=False)) / "sandbox.json"


def write_record(base_url: str, api_key: str) -> Path:
    """Record this process's sandbox, atomically, readable by the user only."""
    path = record_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps({"base_url": base_url, "api_key": api_key, "pid": os.getpid()})
    return write_atomically(path, lambda handle: handle.write(text), mode=0o600)


def _read() -> Shared | None:
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
        return Shared(str(data["base_url"]), str(data["api_key"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_record(pid: int | None = None) -> None:
    """Remove the record (only when it is ``pid``'s, when given)."""
    shared = _read()
    if pid is None or (shared is not None and shared.pid == pid):
        with contextlib.suppress(OSError):
            record_path().unlink()


def _answers(shared: Shared, read_timeout: float) -> bool:
    """True when a sandbox serves there and takes the recorded key (one GET, no retry)."""
    try:
        with shared.client(max_retries=0, timeout=(1.0, read_timeout)) as client:
            client.get_asset(_NIL)
    except (APIConnectionError, AuthenticationError):
        return False
    except APIError:  # 404 (expected), or a 429 or 5xx the user configured: it is there
        return True
    return True


def find() -> Shared | None:
    """The shared sandbox when one serves there (its record is left to :func:`stop`: a
    sandbox slowed down with ``--latency`` may just be slow to answer)."""
    shared = _read()
    return shared if shared is not None and _answers(shared, 10.0) else None


def start_background(options: list[str]) -> Shared:
    """Start ``argil-nb sandbox OPTIONS`` in a process of its own; return once it serves.

    Raises
    ------
    RuntimeError
        With the sandbox's own message when it could not start (a busy port, say).
    """
    log = record_path().with_name("sandbox.log")
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    command = [sys.executable, "-m", "argil_nb.cli", "sandbox", *options, "--serve-shared"]
    detach: dict[str, Any] = (
        {"start_new_session": True}  # Ctrl-C in this shell does not reach it
        if os.name == "posix"
        else {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    )
    with open(log, "wb") as errors:
        child = subprocess.Popen(  # noqa: S603 - this interpreter, our module, fixed options
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, **detach
        )
    deadline = time.monotonic() + START_SECONDS
    while True:
        shared = _read()
        if shared is not None and shared.pid == child.pid:
            return shared
        if child.poll() is not None:
            said = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise RuntimeError(said[-1] if said else f"the sandbox exited {child.returncode}")
        if time.monotonic() > deadline:
            child.terminate()
            raise RuntimeError(f"the sandbox did not start within {START_SECONDS:g} s")
        time.sleep(0.05)


def stop() -> str:
    """Stop the shared sandbox; what was done, in one line.

    Raises
    ------
    RuntimeError
        When it still serves after :data:`STOP_SECONDS`.
    """
    shared = _read()
    if shared is None or not _answers(shared, 30.0):
        gone = shared is not None or record_path().exists()
        remove_record()
        return "no shared sandbox is running" + (" (removed a stale record)" if gone else "")
    os.kill(shared.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while _answers(shared, 30.0):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the shared sandbox (pid {shared.pid}) did not stop within {STOP_SECONDS:g} s"
            )
        time.sleep(0.1)
    remove_record(shared.pid)
    return f"stopped the shared sandbox on {shared.base_url}"
