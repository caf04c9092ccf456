"""``argil-nb`` given bad input: a message on stderr, the right exit code, nothing sent.

Every subcommand is walked with wrong arguments and wrong files (issue 20, items 2 to 4):
each case must exit with its code (2: usage, 1: failed work), print one or two lines on
stderr that say what was wrong, show no traceback, and send no request to the API.
``main`` runs in this process (a subprocess per case would cost a second of start-up each).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from argil_nb.cli import main
from argil_nb.sandbox import Sandbox

from .conftest import CANARY_KEY

ID = "3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60"
URLS = "https://x.example.com/a.png\nhttps://x.example.com/b.mp4\n"


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(seed=20, initial_assets=5, api_key=CANARY_KEY) as sandbox:
        yield sandbox


@pytest.fixture
def here(box, tmp_path, monkeypatch):
    """A folder of input files; the API is ``box``, with its key; no shared sandbox."""
    monkeypatch.setenv("ARGIL_API_KEY", box.api_key)
    monkeypatch.setenv("ARGIL_BASE_URL", box.base_url)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "urls.txt").write_text(URLS)
    (tmp_path / "items.csv").write_text("url,name\n" + URLS.replace("\n", ",x\n", 1))
    (tmp_path / "ids.txt").write_text(ID + "\n")
    (tmp_path / "ids.csv").write_text(f"id,note\n{ID},mine\n")
    (tmp_path / "customers.csv").write_text("id,email,plan\n7,a@example.com,pro\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "empty.txt").write_text("\n# nothing\n\n")
    (tmp_path / "header-only.csv").write_text("url,name\n")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00PK\x03\x04")
    (tmp_path / "no-url.csv").write_text("link\nhttps://x.example.com/a.png\n")
    (tmp_path / "bad-ids.txt").write_text(f"{ID}\nnot-an-id\n")
    (tmp_path / "dups.txt").write_text(
        "https://x.example.com/1/a.png\nhttps://x.example.com/2/a.png\n"
    )
    (tmp_path / "dups.csv").write_text(
        "url\nhttps://x.example.com/1/a.png\nhttps://x.example.com/2/a.png\n"
    )
    (tmp_path / "no-type.txt").write_text("https://x.example.com/clip\n")
    (tmp_path / "ftp.txt").write_text("https://x.example.com/a.png\nftp://x/b.png\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    box.reset_stats()
    return tmp_path


# (argv, exit code, a piece of the message)
CASES = [
    # no subcommand, an unknown one, an unknown option
    ([], 2, "argil-nb"),
    (["frobnicate"], 2, "invalid choice"),
    (["list", "--colour", "red"], 2, "unrecognized arguments"),
    # the API: a bad base URL, two ways of choosing it
    (["--base-url", "ftp://api.example.com", "list"], 2, "is not an http(s) URL"),
    (["--sandbox", "--base-url", "http://127.0.0.1:9/v1", "list"], 2, "--base-url"),
    # get
    (["get"], 2, "ids"),
    (["get", "not-a-uuid"], 2, "not a UUID"),
    (["get", ID, "--csv", "out.txt"], 2, "must end in .csv"),
    (["get", ID, "--csv", "nope/out.csv"], 2, "does not exist"),
    (["get", ID, "--csv", "customers.csv"], 2, "--force"),
    (["get", ID, "--csv", "folder"], 2, "must end in .csv"),
    # list
    (["list", "--status", "DONE"], 2, "PROCESSING, READY or FAILED"),
    (["list", "--type", "GIF"], 2, "IMAGE, VIDEO or AUDIO"),
    (["list", "--csv", "customers.csv"], 2, "not a status table argil_nb wrote"),
    (["list", "--csv", "nope/all.csv"], 2, "does not exist"),
    # export
    (["export", "--ids", "missing.txt", "--csv", "o.csv"], 2, "does not exist"),
    (["export", "--ids", "folder", "--csv", "o.csv"], 2, "is a folder"),
    (["export", "--ids", "empty.csv", "--csv", "o.csv"], 2, "is empty"),
    (["export", "--ids", "empty.txt", "--csv", "o.csv"], 2, "holds no ids"),
    (["export", "--ids", "binary.csv", "--csv", "o.csv"], 2, "not UTF-8 text"),
    (["export", "--ids", "bad-ids.txt", "--csv", "o.csv"], 2, "line 2"),
    (["export", "--ids", "items.csv", "--csv", "o.csv"], 2, "no 'id' column"),
    (["export", "--ids", "ids.csv", "--csv", "ids.csv"], 2, "is also the input"),
    (["export", "--ids", "ids.txt", "--csv", "o.txt"], 2, "must end in .csv"),
    (["export", "--ids", "ids.txt"], 2, "--csv"),
    # upload: the items, then every output path
    (["upload", "missing.csv"], 2, "does not exist"),
    (["upload", "empty.csv"], 2, "is empty"),
    (["upload", "empty.txt"], 2, "holds no URLs"),
    (["upload", "header-only.csv"], 2, "has no rows"),
    (["upload", "binary.csv"], 2, "not UTF-8 text"),
    (["upload", "no-url.csv"], 2, "no 'url' column"),
    (["upload", "dups.txt"], 2, "with a name column"),
    (["upload", "dups.csv"], 2, "add a name column"),
    (["upload", "no-type.txt"], 2, "add a type column"),
    (["upload", "ftp.txt"], 2, "line 2"),
    (["upload", "urls.txt", "--csv", "out.txt"], 2, "must end in .csv"),
    (["upload", "urls.txt", "--csv", "nope/out.csv"], 2, "does not exist"),
    (["upload", "items.csv", "--csv", "items.csv"], 2, "is also the input"),
    (["upload", "urls.txt", "--csv", "customers.csv"], 2, "--force"),
    (["upload", "urls.txt", "--journal", "urls.txt"], 2, "is also the input"),
    (["upload", "urls.txt", "--journal", "j.csv", "--csv", "j.csv"], 2, "the journal"),
    (["upload", "urls.txt", "--journal", "nope/j.jsonl"], 2, "does not exist"),
    (["upload", "urls.txt", "--journal", "folder"], 2, "is a folder"),
    (["upload", "urls.txt", "--journal", "customers.csv"], 2, "not an argil_nb upload journal"),
    (["upload", "urls.txt", "--watch", "--interval", "0"], 2, "--interval"),
    # watch: the interval as an.watch() checks it (0 polled 883 times in 5 s)
    (["watch", ID, "--interval", "0"], 2, "a number of seconds > 0"),
    (["watch", ID, "--interval", "-1"], 2, "a number of seconds > 0"),
    (["watch", ID, "--interval", "nan"], 2, "a number of seconds > 0"),
    (["watch", ID, "--interval", "inf"], 2, "a number of seconds > 0"),
    (["watch", ID, "--interval", "abc"], 2, "a number of seconds > 0"),
    (["watch", "not-a-uuid"], 2, "not a UUID"),
    (["watch", ID, "--csv", "x.txt"], 2, "must end in .csv"),
    # sandbox: numbers and ports
    (["sandbox", "--port", "99999"], 2, "a port number from 0 to 65535"),
    (["sandbox", "--port", "-1"], 2, "a port number from 0 to 65535"),
    (["sandbox", "--port", "http"], 2, "a port number from 0 to 65535"),
    (["sandbox", "--speed", "0"], 2, "--speed"),
    (["sandbox", "--latency", "nan"], 2, "--latency"),
    (["sandbox", "--burst", "0"], 2, "--burst"),
    (["sandbox", "--initial-assets", "-1"], 2, "--initial-assets"),
    (["sandbox", "--rate-limit", "-5"], 2, "--rate-limit"),
    (["sandbox", "--seed", "x"], 2, "--seed"),
    (["sandbox", "--background", "--stop"], 2, "not allowed with"),
    (["--base-url", "http://127.0.0.1:9/v1", "sandbox"], 2, "--base-url"),
    # demo and lab
    (["demo", "--count", "0"], 2, "--count"),
    (["demo", "--csv", "x.txt"], 2, "must end in .csv"),
    (["demo", "--csv", "customers.csv"], 2, "--force"),
    (["--base-url", "http://127.0.0.1:9/v1", "demo"], 2, "--base-url"),
    (["lab", "--port", "99999"], 2, "a port number from 0 to 65535"),
    (["lab", "notes.txt"], 2, "not a folder"),
]


@pytest.mark.parametrize(("argv", "code", "said"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_a_message_and_sends_nothing(box, here, capsys, argv, code, said):
    before = {p.name: p.read_bytes() for p in here.iterdir() if p.is_file()}
    assert main(argv) == code
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert said in err, err
    assert 1 <= len(lines) <= 2, err
    assert "Traceback" not in err + out and CANARY_KEY not in err + out
    assert box.stats.requests == 0, "refused after a request was sent"
    after = {p.name: p.read_bytes() for p in here.iterdir() if p.is_file()}
    assert after == before, "a refused command changed a file"


def test_a_busy_port_is_one_line_exit_1(here, capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} is in use" in err and "--port 0" in err
    assert len(err.strip().splitlines()) <= 2


def test_no_key_and_no_sandbox_is_refused_naming_both(here, monkeypatch, capsys):
    # issue 17 item 2: without a key every command ran against a fake account, exit 0.
    monkeypatch.delenv("ARGIL_API_KEY")
    for argv in (["list"], ["get", ID], ["upload", "urls.txt", "--journal", "j.jsonl"],
                 ["--base-url", "http://127.0.0.1:9/v1", "list"]):  # fmt: skip
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "ARGIL_API_KEY" in err and "--sandbox" in err, err
        assert len(err.strip().splitlines()) <= 2
    assert not (here / "j.jsonl").exists()


def test_base_url_is_honoured(box, here, monkeypatch, capsys):
    monkeypatch.delenv("ARGIL_BASE_URL")
    assert main(["--base-url", box.base_url, "list"]) == 0
    assert box.stats.requests > 0
    assert "5 assets" in capsys.readouterr().out


def test_version(capsys):
    import argil_nb

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"argil-nb {argil_nb.__version__}"


def test_a_refused_upload_uploads_nothing_then_the_fixed_one_once(box, here, capsys):
    # issue 20 item 2: the output path was checked after every row had been uploaded.
    box.reset_stats()
    assert main(["upload", "urls.txt", "--csv", "out.txt"]) == 2
    assert box.stats.requests == 0
    assert main(["upload", "urls.txt", "--csv", "out.csv"]) == 0
    assert box.stats.by_route["create"] == 2
    assert len(pd.read_csv(here / "out.csv")) == 2


def test_force_replaces_a_file_argil_nb_did_not_write(box, here):
    assert main(["list", "--csv", "customers.csv", "--force"]) == 0
    assert Path("customers.csv").read_text().startswith("id,name,type,status,")


def test_the_api_options_also_go_after_the_command(here, monkeypatch, capsys):
    monkeypatch.delenv("ARGIL_API_KEY")
    assert main(["list", "--sandbox"]) == 0
    out, err = capsys.readouterr()
    assert "24 assets" in out and "fresh" in err
    assert main(["get", ID, "--sandbox", "--base-url", "http://127.0.0.1:9/v1"]) == 2
    assert "choose the API twice" in capsys.readouterr().err


def test_export_skips_the_rows_of_failed_uploads_and_says_so(box, here, capsys):
    asset = box.assets()[0]["id"]
    (here / "up.csv").write_text(
        f"id,url,error\n{asset},https://x.example.com/a.png,\n,https://x.example.com/b.png,boom\n"
    )
    assert main(["export", "--ids", "up.csv", "--csv", "out.csv"]) == 0
    assert "skipped 1 row of up.csv without an id" in capsys.readouterr().err
    assert pd.read_csv(here / "out.csv")["id"].tolist() == [asset]
