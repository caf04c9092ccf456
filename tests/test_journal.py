"""The upload journal: what each odd file gets, and a disk that fails under it.

A full or read-only disk cannot be produced by the sandbox, nor by a test that runs as
root (permission bits do not stop root): those cases patch the journal's ``os`` calls.
"""

from __future__ import annotations

import errno
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import argil_nb as an
from argil_nb.sandbox import Sandbox
from argil_nb.uploads import journal as journal_module
from argil_nb.uploads.journal import open_journal, read_journal, summary

URLS = [f"https://media.example.com/j/clip-{i:02d}.mp4" for i in range(8)]
NAMES = [f"clip-{i:02d}.mp4" for i in range(8)]


def posts(sandbox: Any) -> int:
    return sandbox.stats.by_route["create"]


def whole_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of the file, each a whole JSON record (fails on a half-written one)."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.decode().splitlines()]


@pytest.fixture
def client(sandbox):
    """A client with a short read timeout: the settle wait before looking for a lost upload."""
    with sandbox.client(backoff_factor=0, timeout=(2, 0.2)) as c:
        yield c


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "uploads.jsonl"


@pytest.fixture
def done(sandbox, client, journal) -> Path:
    """A journal of a finished batch of the 8 URLs."""
    client.create_assets(URLS, journal=journal, progress=False)
    sandbox.reset_stats()
    return journal


# -- files that are not, or no longer, what they should be ----------------------------------


def test_a_file_that_is_not_a_journal_is_refused_and_left_alone(sandbox, client, tmp_path):
    other = tmp_path / "assets.csv"
    other.write_text("id,name\n1,a\n")
    sandbox.reset_stats()
    with pytest.raises(an.InvalidArgument, match="is not an argil_nb upload journal"):
        client.create_assets(URLS, journal=other)
    assert other.read_text() == "id,name\n1,a\n" and sandbox.stats.requests == 0
    json_file = tmp_path / "config.json"
    json_file.write_text('{"a": 1}\n')
    with pytest.raises(an.InvalidArgument, match="is not an argil_nb upload journal"):
        client.create_assets(URLS, journal=json_file)


def test_a_journal_of_different_items_is_refused_and_left_alone(sandbox, client, done):
    before = done.read_bytes()
    others = [f"https://media.example.com/other/shot-{i}.png" for i in range(3)]
    with pytest.raises(an.InvalidArgument, match="written for different items: none of these"):
        client.create_assets(others, journal=done)
    same_name = [URLS[0].replace("media.", "cdn."), *URLS[1:]]
    with pytest.raises(
        an.InvalidArgument, match=r"has a row named 'clip-00\.mp4' with another URL"
    ):
        client.create_assets(same_name, journal=done)
    assert done.read_bytes() == before and sandbox.stats.requests == 0


def test_a_journal_of_another_api_is_refused(done):
    with Sandbox(seed=2) as other, pytest.raises(an.InvalidArgument, match="this client talks"):
        other.client().create_assets(URLS, journal=done)


def test_a_journal_from_a_newer_version_is_refused(sandbox, client, journal):
    header = {"journal": "argil_nb uploads", "version": 99, "base_url": client.base_url}
    journal.write_text(json.dumps(header, separators=(",", ":")) + "\n")
    with pytest.raises(an.InvalidArgument, match="newer argil_nb"):
        client.create_assets(URLS, journal=journal)


def test_a_damaged_line_in_the_middle_is_refused(sandbox, client, done):
    lines = done.read_bytes().split(b"\n")
    lines[3] = lines[3][:20]
    done.write_bytes(b"\n".join(lines))
    with pytest.raises(an.InvalidArgument, match="damaged at line 4"):
        client.create_assets(URLS, journal=done)


def test_a_torn_last_line_is_ignored_and_its_row_reconciled(sandbox, client, done):
    """The process died while writing the last ``done``: that row is looked for, not sent."""
    data = done.read_bytes()
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    assert b'"event":"done"' in last
    torn = data[: len(data) - len(last) // 2 - 1]
    done.write_bytes(torn)
    frame = client.create_assets(URLS, journal=done, progress=False)
    assert posts(sandbox) == 0 and frame["name"].tolist() == NAMES
    after = done.read_bytes()
    assert after.startswith(torn)  # appended to, never rewritten
    records = read_journal(done)
    assert summary(records)["torn"] == 1 and records[-1]["how"] == "adopted"
    again = client.create_assets(URLS, journal=done, progress=False)  # reads cleanly now
    assert again["id"].tolist() == frame["id"].tolist() and posts(sandbox) == 0


def test_a_header_cut_short_starts_the_journal_afresh(sandbox, client, journal):
    journal.write_bytes(b'{"journal":"argil_nb up')
    frame = client.create_assets(URLS[:2], journal=journal, progress=False)
    assert len(frame) == 2 and posts(sandbox) == 2
    assert journal.read_bytes().startswith(b'{"journal":"argil_nb up\n{"event":"torn"')


def test_a_journal_in_use_by_another_batch_is_refused(sandbox, client, journal):
    held = open_journal(journal, client.base_url)
    try:
        with pytest.raises(an.JournalError, match="in use by another process"):
            client.create_assets(URLS, journal=journal)
    finally:
        held.close()
    client.create_assets(URLS[:1], journal=journal, progress=False)


def test_the_journal_replays_each_rows_last_record(client, journal):
    from argil_nb.uploads.rows import upload_rows

    rows = upload_rows(URLS[:3])
    with open_journal(journal, client.base_url) as book:
        book.begin(rows)
        for at in ("2026-11-30T10:00:00Z", "2026-11-30T10:05:00Z"):
            book.intent(
                rows[0], an.Asset.from_api({"id": "x", "createdAt": at}).created_at, "server"
            )  # type: ignore[arg-type]
        book.absent(rows[0])
        when = an.Asset.from_api({"id": "x", "createdAt": "2026-11-30T10:09:00Z"}).created_at
        assert when is not None
        book.intent(rows[0], when, "server")
        book.intent(rows[1], when, "local")
        book.done(rows[1], "3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60", "created")
        book.intent(rows[2], when, "local")
    with open_journal(journal, client.base_url) as book:
        states = {k: book.states[k] for k in (r.key for r in rows)}
    first, second, third = (states[r.key] for r in rows)
    assert first.unknown and first.since == when and first.clock == "server"
    assert not second.unknown and second.asset_id == "3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60"
    assert third.unknown and third.clock == "local"


# -- a disk that fails -------------------------------------------------------------------------


def fail_on(monkeypatch: pytest.MonkeyPatch, event: str, nth: int, code: int) -> None:
    """The ``nth`` record of ``event`` is half written, then the disk says ``code``."""
    original = journal_module._FileJournal._write
    seen = Counter[str]()

    def write(fd: int, data: bytes) -> None:
        if f'"event":"{event}"'.encode() in data:
            seen[event] += 1
            if seen[event] == nth:
                os.write(fd, data[: len(data) // 2])
                raise OSError(code, os.strerror(code))
        original(fd, data)

    monkeypatch.setattr(journal_module._FileJournal, "_write", staticmethod(write))


def test_a_full_disk_stops_the_batch_with_nothing_half_written(sandbox, journal, monkeypatch):
    client = sandbox.client(max_workers=1, timeout=(2, 0.2))
    fail_on(monkeypatch, "intent", 4, errno.ENOSPC)
    with pytest.raises(an.JournalError, match=r"No space left on device \(ENOSPC\)") as info:
        client.create_assets(URLS, journal=journal, progress=False)
    assert info.value.path == str(journal) and "same items and journal" in str(info.value)
    records = whole_lines(journal)
    assert summary(records) == {"header": 1, "batch": 1, "intent": 3, "done": 3}
    assert posts(sandbox) == 3  # no upload is sent before its intent is on disk
    monkeypatch.undo()
    frame = client.create_assets(URLS, journal=journal, progress=False)
    assert posts(sandbox) == 8 and frame["name"].tolist() == NAMES
    assert all(
        n == 1 for n in Counter(a["name"] for a in sandbox.assets() if a["name"] in NAMES).values()
    )


def test_a_done_record_that_cannot_be_written_is_reconciled_on_the_next_call(
    sandbox, journal, monkeypatch
):
    client = sandbox.client(max_workers=1, timeout=(2, 0.2))
    fail_on(monkeypatch, "done", 2, errno.EIO)
    with pytest.raises(an.JournalError, match="Input/output error"):
        client.create_assets(URLS, journal=journal, progress=False)
    whole_lines(journal)
    assert posts(sandbox) == 2
    monkeypatch.undo()
    frame = client.create_assets(URLS, journal=journal, progress=False)
    assert posts(sandbox) == 8 and frame["name"].tolist() == NAMES  # row 1 adopted, not resent
    hows = Counter(r["how"] for r in read_journal(journal) if r.get("event") == "done")
    assert hows == {"created": 7, "adopted": 1}


def test_a_failed_fsync_takes_the_record_back(sandbox, client, journal, monkeypatch):
    monkeypatch.setattr(
        journal_module.os,
        "fsync",
        lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")),
    )
    with pytest.raises(an.JournalError, match="I/O error"):
        client.create_assets(URLS, journal=journal, progress=False)
    assert sandbox.stats.requests == 0 and not journal.exists()


def test_a_read_only_disk_is_a_clear_error_before_any_request(
    sandbox, client, journal, monkeypatch
):
    def read_only(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(journal_module.os, "open", read_only)
    sandbox.reset_stats()
    with pytest.raises(
        an.JournalError, match=r"Read-only file system \(EROFS\)\. The batch stopped"
    ):
        client.create_assets(URLS, journal=journal)
    assert sandbox.stats.requests == 0 and not journal.exists()
