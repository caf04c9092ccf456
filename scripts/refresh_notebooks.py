"""Re-execute the example notebooks in place and save them with their outputs.

    .venv/bin/python scripts/refresh_notebooks.py [notebooks/02_live_watch.ipynb ...]

Runs each notebook top to bottom with no ARGIL_API_KEY (so against the offline sandbox),
then drops what must not be committed: saved widget state (bulky, and useless without a
kernel), the widget views that would need it (a panel's output keeps the static HTML
snapshot saved beside its view, so the notebook shows the panel's last state anywhere) and
execution metadata (timestamps).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def refresh(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    for variable in ("ARGIL_API_KEY", "ARGIL_BASE_URL"):
        os.environ.pop(variable, None)
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    book.metadata.pop("widgets", None)
    for cell in book.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:  # without state it renders nothing
                del data[WIDGET_VIEW]
    nbformat.write(book, path)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def main(paths: list[str]) -> None:
    targets = [Path(p).resolve() for p in paths] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in targets:
        refresh(path)


if __name__ == "__main__":
    main(sys.argv[1:])
