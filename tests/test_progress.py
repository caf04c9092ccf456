"""Progress bars: shown for a call that takes more than a moment, and leaving text, not a
widget, in a notebook (a widget left behind shows "Error displaying widget: model not found"
once the notebook is reopened without its kernel)."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

WIDGET = "application/vnd.jupyter.widget-view+json"


def test_a_bar_in_a_notebook_leaves_a_line_of_text(tmp_path):
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_code_cell(
            "import argil_nb as an\n"
            "client = an.connect(sandbox=True, sandbox_options={'initial_assets': 12})\n"
            "ready = client.list_assets(status='READY')['id'].tolist()"
        ),
        nbformat.v4.new_code_cell("done = client.wait(ready, progress=True)"),
        nbformat.v4.new_code_cell("quick = client.wait(ready)  # progress=None, quick: no bar"),
    ]
    NotebookClient(book, timeout=120, kernel_name="python3").execute()
    shown, quick = book.cells[1].outputs, book.cells[2].outputs
    assert not [o for o in shown + quick if WIDGET in o.get("data", {})]
    texts = [o["data"]["text/plain"] for o in shown if "text/plain" in o.get("data", {})]
    assert len(texts) == 1 and texts[0].startswith("argil finished: ")
    assert " of " in texts[0] and texts[0].endswith(" s"), texts
    assert quick == []
