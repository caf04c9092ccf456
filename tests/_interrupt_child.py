"""The child process of the Ctrl-C tests: one batch call, interrupted by a real SIGINT.

    python -m tests._interrupt_child CALL [--unpaced]

CALL is ``create_assets``, ``get_assets``, ``list_assets`` or ``wait``. Reads
``ARGIL_BASE_URL`` and ``ARGIL_API_KEY``; the client's budget makes its workers wait for
their slots (2 writes or 5 reads a second), which is where a Ctrl-C used to be ignored.
``--unpaced`` drops the budget (a re-run that is not interrupted need not wait).
Prints ``started`` before the call; exits 0 with ``done N`` when it finishes, 130 with
``interrupted: MESSAGE`` (and ``made N`` for uploads) after Ctrl-C.
"""

from __future__ import annotations

import sys
import uuid

import argil_nb as an

UPLOADS = [f"https://media.example.com/ctrl-c/clip-{i:03d}.mp4" for i in range(40)]
UNKNOWN = [str(uuid.UUID(int=i + 1, version=4)) for i in range(300)]  # 300 GETs after a listing


def main(call: str, paced: bool = True) -> int:
    budget = {"reads_per_minute": 300, "writes_per_minute": 120, "read_burst": 1, "write_burst": 1}
    client = an.Client(**(budget if paced else {}))
    print("started", flush=True)
    try:
        if call == "create_assets":
            frame = client.create_assets(UPLOADS, progress=False)
        elif call == "get_assets":
            frame = client.get_assets(UNKNOWN, errors="coerce", progress=False)
        elif call == "list_assets":
            frame = client.list_assets(progress=False)
        else:
            ids = client.list_assets(status="PROCESSING", progress=False)["id"].tolist()
            frame = client.wait(ids, progress=False)
    except KeyboardInterrupt as stop:
        print(f"interrupted: {stop}", flush=True)
        made = getattr(stop, "frame", None)
        if made is not None:
            print(f"made {len(made)}", flush=True)
        return 130
    print(f"done {len(frame)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], paced="--unpaced" not in sys.argv[2:]))
