"""The committed notebooks: small, free of secrets and local paths, honest about ignored output.

nbval itself (``pytest --nbval notebooks``) re-runs them and compares outputs; this file checks
what nbval does not.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
SECRET_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_-]{12,}"),  # sandbox and canary keys
    re.compile(r"x-api-key\s*[:=]\s*\S{8,}", re.IGNORECASE),
    re.compile(r"ARGIL_API_KEY\s*=\s*['\"]?[A-Za-z0-9_-]{8,}"),
    re.compile(r"\b[0-9a-f]{32,}\b"),  # bare hex tokens
]
PATH_PATTERNS = [
    re.compile(p)
    for p in (r"/root/", r"/home/\w", r"/Users/\w", r"[A-Z]:\\\\", r"/work/", r"/tmp/")
]


def test_there_are_four_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_explore_assets.ipynb",
        "02_live_watch.ipynb",
        "03_export_status.ipynb",
        "04_bulk_upload.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_key_or_local_path_in_the_committed_notebook(path):
    # A displayed widget's model_id is a random hex uuid, not a secret.
    text = re.sub(r'"model_id": "[0-9a-f]+"', "", path.read_text(encoding="utf-8"))
    for pattern in SECRET_PATTERNS + PATH_PATTERNS:
        found = pattern.search(text)
        assert found is None, f"{path.name} contains {found.group(0)!r} ({pattern.pattern})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_small_and_without_saved_widget_state(path):
    assert path.stat().st_size < 300 * 1024
    book = json.loads(path.read_text(encoding="utf-8"))
    assert "widgets" not in book["metadata"]
    for cell in book["cells"]:
        assert "execution" not in cell.get("metadata", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_in_order_with_no_errors(path):
    cells = [
        c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
    ]
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1))
    for cell in cells:
        assert all(o["output_type"] != "error" for o in cell["outputs"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_ignored_output_is_followed_by_a_checking_cell(path):
    cells = [
        c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
    ]
    for index, cell in enumerate(cells):
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            following = cells[index + 1] if index + 1 < len(cells) else None
            assert following is not None, f"{path.name}: ignored cell {index} is the last one"
            assert "assert" in "".join(following["source"]), (
                f"{path.name}: cell {index + 1} checks nothing"
            )
            assert "nbval-ignore-output" not in following.get("metadata", {}).get("tags", [])


def test_an_executed_notebook_never_shows_the_key(tmp_path, monkeypatch):
    """Run a notebook against a sandbox with a canary key (the 'real key' path of connect())."""
    import nbformat
    from nbclient import NotebookClient

    from argil_nb.sandbox import Sandbox

    from .conftest import CANARY_KEY

    book = nbformat.read(NOTEBOOKS[0], as_version=4)
    with Sandbox(seed=0, initial_assets=60, api_key=CANARY_KEY) as box:
        monkeypatch.setenv("ARGIL_API_KEY", CANARY_KEY)
        monkeypatch.setenv("ARGIL_BASE_URL", box.base_url)
        NotebookClient(book, timeout=120, kernel_name="python3").execute()
    saved = tmp_path / "executed.ipynb"
    nbformat.write(book, saved)
    text = saved.read_text(encoding="utf-8")
    assert "Client(base_url=" in text  # the cell that shows the client did run
    assert CANARY_KEY not in text
    assert CANARY_KEY[:-4] not in text  # not even most of it
