"""The bad-input matrix: every public call against wrong, odd or hostile input and answers.

Each case is a row of :data:`CASES`: what is called, with what, and the documented outcome
(a typed error naming what was wrong, or the value kept as it came). The same rows
generate docs/reliability.md, and a test fails when the committed file differs::

    python -m tests.test_bad_input --write     # regenerate docs/reliability.md

The soak figures in that file sit between ``<!-- soak:begin -->`` and ``<!-- soak:end -->``
and are kept as they are by the generator (they come from ``python -m tests.test_soak``);
so are the kill-test figures of the uploads section (``python -m tests.test_upload_kill``).
"""

from __future__ import annotations

import argparse
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import argil_nb as an
from argil_nb import waiting
from argil_nb.frames import COLUMNS
from argil_nb.sandbox import Sandbox

from .conftest import CANARY_KEY
from .test_upload_kill import uploads_section

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
SOAK_BEGIN, SOAK_END = "<!-- soak:begin -->", "<!-- soak:end -->"
UTC = UTC
NEW_ID = "3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60"


@dataclass
class Env:
    """What a case may use: a sandbox, a client that does not retry, a folder, an id."""

    sb: Sandbox
    client: an.Client
    tmp: Path
    ready: str


@dataclass(frozen=True)
class Case:
    """One row of the matrix."""

    call: str
    given: str
    outcome: str
    run: Callable[[Env], Any]
    error: type[BaseException] | None = None
    match: str = ""
    check: Callable[[Any, Env], Any] | None = None
    sends: bool = False  # False: the case must not reach the API at all


def fails(
    call: str,
    given: str,
    run: Callable[[Env], Any],
    error: type[BaseException],
    match: str,
    *,
    sends: bool = False,
) -> Case:
    return Case(call, given, f"`{error.__name__}`: “{match}”", run, error, match, sends=sends)


def gives(
    call: str,
    given: str,
    outcome: str,
    run: Callable[[Env], Any],
    check: Callable[[Any, Env], Any],
    *,
    sends: bool = False,
) -> Case:
    return Case(call, given, outcome, run, check=check, sends=sends)


# -- helpers for the rows ----------------------------------------------------------------------

_MANY: list[str] = []


def many_ids(bad: dict[int, object]) -> list[object]:
    """100,000 valid ids with ``bad`` values put at the given positions."""
    if not _MANY:
        _MANY.extend(str(uuid.UUID(int=i + 1, version=4)) for i in range(100_000))
    ids: list[object] = list(_MANY)
    for at, value in bad.items():
        ids[at] = value
    return ids


def asset(**fields: Any) -> dict[str, Any]:
    data = {
        "id": NEW_ID,
        "name": "clip.mp4",
        "type": "VIDEO",
        "status": "READY",
        "fileUrl": "https://cdn.example.com/clip.mp4",
        "thumbnailUrl": "https://cdn.example.com/clip.png",
        "createdAt": "2026-11-01T10:00:00.000Z",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not ...}


def served(env: Env, **fields: Any) -> an.Asset:
    """Store an asset verbatim in the sandbox, then GET it through the client."""
    raw = asset(id=str(uuid.uuid4()), **fields)
    env.sb.add_asset(raw)
    return env.client.get_asset(raw["id"])


def answer(env: Env, status: int, body: Any, content_type: str | None = "application/json",
           headers: dict[str, str] | None = None) -> None:  # fmt: skip
    env.sb.respond_next(status, body, headers=headers, content_type=content_type)


def each(call: Callable[[Any], Any], *values: Any) -> None:
    """Call with every value: each must raise, all the same type; the last error propagates."""
    errors: list[Exception] = []
    for value in values:
        try:
            call(value)
        except Exception as exc:
            errors.append(exc)
        else:
            raise AssertionError(f"{value!r} was accepted")
    assert len({type(e) for e in errors}) == 1, errors
    raise errors[-1]


def then(arrange: Callable[[Env], Any], act: Callable[[Env], Any]) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        arrange(env)
        return act(env)

    return run


def get_ready(env: Env) -> an.Asset:
    return env.client.get_asset(env.ready)


def created_at(value: object) -> Callable[[Env], tuple[Any, Any]]:
    """Asset.from_api and assets_frame on the same createdAt: (asset, frame value)."""

    def run(env: Env) -> tuple[Any, Any]:
        data = asset(createdAt=value)
        return an.Asset.from_api(data).created_at, an.assets_frame([data])["created_at"][0]

    return run


def at(*args: int) -> Callable[[Any, Env], bool]:
    want = datetime(*args, tzinfo=UTC)  # type: ignore[misc]
    return lambda got, env: got[0] == want and got[1] == pd.Timestamp(want)


def unreadable(got: Any, env: Env) -> bool:
    return got[0] is None and pd.isna(got[1])


def write(text: str | bytes, name: str = "t.csv") -> Callable[[Env], Path]:
    def make(env: Env) -> Path:
        path = env.tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    return make


HEADER = ",".join(COLUMNS) + "\n"


def a_frame(env: Env) -> pd.DataFrame:
    return an.assets_frame([asset()])


def columns_only(env: Env) -> pd.DataFrame:
    return a_frame(env)[["id", "name"]]


def written_then_read(env: Env) -> Any:
    path = an.to_csv(columns_only(env), env.tmp / "subset.csv")
    with pytest.raises(an.InvalidArgument, match=r"missing columns"):
        an.read_csv(path)
    return path


def listing_without_headers(env: Env) -> pd.DataFrame:
    """A proxy strips the pagination headers from the first page of 120 READY assets."""
    sb = env.sb
    for i in range(120 - sum(a.get("status") == "READY" for a in sb.assets())):
        sb.add_asset(asset(id=str(uuid.UUID(int=10**6 + i, version=4)),
                           createdAt=f"2020-01-01T00:{i // 60:02d}:{i % 60:02d}Z"))  # fmt: skip
    first = [a for a in sb.assets() if a.get("status") == "READY"][:100]
    sb.respond_next(200, first, path_prefix="/assets", method="GET")
    return env.client.list_assets(status="READY", progress=False)


BATCH = ["https://x.example.com/a.png", "https://x.example.com/b.mp4"]


def up(env: Env, items: Any, **options: Any) -> pd.DataFrame:
    return env.client.create_assets(items, progress=False, **options)


def frame_ids(ids: list[str]) -> Callable[[Any, Env], bool]:
    return lambda frame, env: frame["id"].tolist() == ids


def cli(
    *argv: str, key: bool = True, files: dict[str, str] | None = None
) -> Callable[[Env], tuple[int, str]]:
    """``argil-nb ARGV`` run in the case's folder, on its sandbox: (exit code, stderr)."""

    def run(env: Env) -> tuple[int, str]:
        import contextlib
        import io
        import os
        from unittest import mock

        from argil_nb.cli import main

        for name, text in (files or {}).items():
            (env.tmp / name).write_text(text)
        values = {"ARGIL_BASE_URL": env.sb.base_url, "XDG_STATE_HOME": str(env.tmp / "state")}
        if key:
            values["ARGIL_API_KEY"] = env.sb.api_key
        err = io.StringIO()
        here = os.getcwd()
        with mock.patch.dict(os.environ, values), contextlib.redirect_stderr(err):
            os.chdir(env.tmp)
            try:
                code = main(list(argv))
            finally:
                os.chdir(here)
        return code, err.getvalue()

    return run


def said(code: int, *pieces: str) -> Callable[[Any, Env], bool]:
    """The exit code, each piece in stderr, one or two lines, no traceback."""

    def check(got: tuple[int, str], env: Env) -> bool:
        lines = got[1].strip().splitlines()
        return (
            got[0] == code
            and all(p in got[1] for p in pieces)
            and 1 <= len(lines) <= 2
            and "Traceback" not in got[1]
        )

    return check


URL_LINES = "https://x.example.com/a.png\nhttps://x.example.com/b.mp4\n"
CUSTOMERS = "id,email,plan\n7,a@example.com,pro\n"


# -- the matrix ----------------------------------------------------------------------------

G = "client.get_asset"
CASES: list[Case] = [
    # Client(...)
    fails("Client", "no `api_key`, no `ARGIL_API_KEY`", lambda e: an.Client(),
          an.InvalidArgument, "No Argil API key"),
    fails("Client", '`api_key=""` or blanks', lambda e: an.Client(api_key="  "),
          an.InvalidArgument, "No Argil API key"),
    fails("Client", "`api_key=123`", lambda e: an.Client(api_key=123),  # type: ignore[arg-type]
          an.InvalidArgument, "api_key must be a string, got int"),
    fails("Client", "`api_key=b'sk-…'` (bytes; the value is never echoed)",
          lambda e: an.Client(api_key=CANARY_KEY.encode()),  # type: ignore[arg-type]
          an.InvalidArgument, "api_key must be a string, got bytes"),
    fails("Client", '`base_url="ftp://api.example.com"`',
          lambda e: an.Client("k", "ftp://api.example.com"), an.InvalidArgument, "is not an http(s) URL"),
    fails("Client", '`base_url=""`', lambda e: an.Client("k", ""),
          an.InvalidArgument, "is not an http(s) URL"),
    fails("Client", "`base_url=5`", lambda e: an.Client("k", 5),  # type: ignore[arg-type]
          an.InvalidArgument, "base_url must be a string, got int"),
    fails("Client", '`base_url="http://api.example.com/v1"` (plain http, not loopback)',
          lambda e: an.Client("k", "http://api.example.com/v1"), an.InvalidArgument, "uses plain http"),
    fails("Client", '`base_url="https://u:p@api.example.com"`',
          lambda e: an.Client("k", "https://u:p@api.example.com"), an.InvalidArgument, "must not carry a query, fragment or login"),
    fails("Client", '`timeout=0`, `(1,)`, `"5"`, `nan`, `inf`',
          lambda e: each(lambda t: an.Client("k", timeout=t), 0, (1,), "5", float("nan"), float("inf")),
          an.InvalidArgument, "timeout must be a number of seconds > 0 or a (connect, read) pair"),
    fails("Client", "`max_retries=-1` or `True`",
          lambda e: each(lambda n: an.Client("k", max_retries=n), True, -1),
          an.InvalidArgument, "max_retries must be an int >= 0"),
    fails("Client", "`max_workers=0`", lambda e: an.Client("k", max_workers=0),
          an.InvalidArgument, "max_workers must be an int >= 1"),
    fails("Client", '`backoff_factor=-1` or `"1"`',
          lambda e: each(lambda b: an.Client("k", backoff_factor=b), "1", -1),
          an.InvalidArgument, "backoff_factor must be a number of seconds >= 0"),
    fails("Client", '`session="x"`', lambda e: an.Client("k", session="x"),  # type: ignore[arg-type]
          an.InvalidArgument, "session must be a requests.Session, got str"),
    # get_asset / delete_asset: ids
    fails(G, "`None`", lambda e: e.client.get_asset(None), an.InvalidAssetId, "1 asset id is not a UUID: None"),
    fails(G, "`42`", lambda e: e.client.get_asset(42), an.InvalidAssetId, "not a UUID: 42"),
    fails(G, '`""`', lambda e: e.client.get_asset(""), an.InvalidAssetId, "not a UUID: ''"),
    fails(G, '`"abc"`', lambda e: e.client.get_asset("abc"), an.InvalidAssetId, "not a UUID: 'abc'"),
    fails(G, "a UUID in braces, or 32 bare hex digits",
          lambda e: each(e.client.get_asset, "{" + NEW_ID + "}", NEW_ID.replace("-", "")),
          an.InvalidAssetId, "not a UUID"),
    fails(G, '`"../assets"` (path traversal)', lambda e: e.client.get_asset("../assets"),
          an.InvalidAssetId, "not a UUID: '../assets'"),
    fails(G, "the id as `bytes`", lambda e: e.client.get_asset(NEW_ID.encode()), an.InvalidAssetId, "not a UUID: b'"),
    fails(G, "`[id]` (a list)", lambda e: e.client.get_asset([NEW_ID]), an.InvalidAssetId, "not a UUID: ['"),
    gives(G, "upper case, surrounding blanks, or a `uuid.UUID`", "accepted, sent in canonical lower case",
          lambda e: [e.client.get_asset(f"  {e.ready.upper()}\n"), e.client.get_asset(uuid.UUID(e.ready))],
          lambda got, e: all(a.id == e.ready for a in got), sends=True),
    fails(G, "a UUID the account does not have", lambda e: e.client.get_asset(NEW_ID),
          an.AssetNotFound, f"404 on GET /v1/assets/{NEW_ID}: Asset {NEW_ID} not found", sends=True),
    fails("client.delete_asset", '`None`, `"abc"`', lambda e: each(e.client.delete_asset, None, "abc"),
          an.InvalidAssetId, "not a UUID: 'abc'"),
    fails("client.delete_asset", "a UUID the account does not have",
          lambda e: e.client.delete_asset(NEW_ID), an.AssetNotFound, "not found", sends=True),
    # get_assets
    fails("client.get_assets", "`None`", lambda e: e.client.get_assets(None),
          an.InvalidArgument, "ids must be a list of asset ids, a Series, or a frame with an 'id' column; got NoneType"),
    fails("client.get_assets", "one id as a string", lambda e: e.client.get_assets(e.ready),
          an.InvalidArgument, "(wrap a single id in a list)"),
    fails("client.get_assets", "`42`", lambda e: e.client.get_assets(42), an.InvalidArgument, "got int"),
    fails("client.get_assets", "a frame without an `id` column",
          lambda e: e.client.get_assets(pd.DataFrame({"x": [1]})), an.InvalidArgument, "the frame has no 'id' column"),
    fails("client.get_assets", '`errors="ignore"`', lambda e: e.client.get_assets([], errors="ignore"),
          an.InvalidArgument, "errors must be 'raise' or 'coerce'"),
    fails("client.get_assets", "good ids mixed with `\"nope\"`, `\"\"`, `None`, `nan`",
          lambda e: e.client.get_assets([e.ready, "nope", "", None, float("nan")]),
          an.InvalidAssetId, "4 asset ids are not a UUID: 'nope', '', None, nan"),
    fails("client.get_assets", "100,000 ids, the last one bad (checked before any request)",
          lambda e: e.client.get_assets(many_ids({99_999: "oops"})), an.InvalidAssetId, "1 asset id is not a UUID: 'oops'"),
    fails("client.get_assets", "100,000 ids, 7 bad (all reported at once)",
          lambda e: e.client.get_assets(many_ids({i * 9999: f"bad-{i}" for i in range(7)})),
          an.InvalidAssetId, "7 asset ids are not a UUID: 'bad-0', 'bad-1', 'bad-2', 'bad-3', 'bad-4' (and 2 more)"),
    gives("client.get_assets", "`[]`", "an empty frame with the schema, no request",
          lambda e: e.client.get_assets([]), lambda f, e: len(f) == 0 and list(f.columns) == list(COLUMNS)),
    gives("client.get_assets", "duplicates, in any case, a generator", "each fetched once, first-seen order",
          lambda e: e.client.get_assets(i for i in [e.ready, e.ready.upper(), e.ready]),
          lambda f, e: f["id"].tolist() == [e.ready], sends=True),
    fails("client.get_assets", "an id answered with malformed JSON",
          then(lambda e: answer(e, 200, b'{"id": '), lambda e: e.client.get_assets([e.ready])),
          an.BatchError, "1 of 1 assets failed (1 InvalidResponse)", sends=True),
    # list_assets
    fails("client.list_assets", '`type="GIF"`', lambda e: e.client.list_assets(type="GIF"),
          an.InvalidArgument, "type must be among ['AUDIO', 'IMAGE', 'VIDEO'], got ['GIF']"),
    fails("client.list_assets", '`status="DONE"` or `status=[..., 3]`',
          lambda e: each(lambda v: e.client.list_assets(status=v), "DONE", ["READY", 3]),
          an.InvalidArgument, "status must be among"),
    gives("client.list_assets", '`status="ready"` (any case, blanks)', "accepted: the READY assets",
          lambda e: e.client.list_assets(status=" ready ", progress=False),
          lambda f, e: set(f["status"]) == {"READY"}, sends=True),
    gives("client.list_assets", "`status=[]`", "every status, as for `None`",
          lambda e: e.client.list_assets(status=[], progress=False),
          lambda f, e: len(f) == len(e.sb.assets()), sends=True),
    gives("client.list_assets", "a first page without pagination headers (a proxy stripped them)",
          "pages are asked one more at a time while full: nothing lost", listing_without_headers,
          lambda f, e: len(f) == 120 and f["id"].is_unique, sends=True),
    fails("client.list_assets", "a page that is a JSON object, not an array",
          then(lambda e: answer(e, 200, {"assets": []}), lambda e: e.client.list_assets(progress=False)),
          an.InvalidResponse, "expected a JSON array of assets", sends=True),
    fails("client.list_assets", "a page with an item without `id`",
          then(lambda e: answer(e, 200, [{"name": "x"}]), lambda e: e.client.list_assets(progress=False)),
          an.InvalidResponse, "malformed asset: asset object has no 'id'", sends=True),
    gives("client.list_assets", "an asset whose status is unknown (`ARCHIVED`)",
          "not listed (the API lists by status; the three known ones are asked); `get_assets` finds it",
          lambda e: (served(e, status="ARCHIVED"), e.client.list_assets(progress=False)),
          lambda got, e: got[0].id not in set(got[1]["id"]) and e.client.get_assets([got[0].id])["status"][0] == "ARCHIVED",
          sends=True),
    # create_asset
    fails("client.create_asset", '`url=None`, `""`, `"ftp://x/a.png"`, `"javascript:alert(1)//a.png"`',
          lambda e: each(e.client.create_asset, None, "", "ftp://x/a.png", "javascript:alert(1)//a.png"),
          an.InvalidArgument, "url must be an http(s) URL of the file"),
    fails("client.create_asset", "a URL without a known extension, no `type`",
          lambda e: e.client.create_asset("https://x.example.com/clip"), an.InvalidArgument, "cannot tell the asset type"),
    fails("client.create_asset", '`name=""`, 257 characters, or `5`',
          lambda e: each(lambda n: e.client.create_asset("https://x.example.com/a.png", name=n), "", 5, "x" * 257),
          an.InvalidArgument, "name must be a string of 1 to 256 characters"),
    fails("client.create_asset", '`type="AUDIO"`', lambda e: e.client.create_asset("https://x.example.com/a.mp3", type="AUDIO"),
          an.InvalidArgument, "type='AUDIO' cannot be uploaded"),
    fails("client.create_asset", '`type=5` or `"GIF"`',
          lambda e: each(lambda t: e.client.create_asset("https://x.example.com/a.png", type=t), 5, "GIF"),
          an.InvalidArgument, "type must be 'IMAGE' or 'VIDEO', got 'GIF'"),
    fails("client.create_asset", "a 200 answer that is an HTML page",
          then(lambda e: answer(e, 200, "<html>login</html>", "text/html"),
               lambda e: e.client.create_asset("https://x.example.com/a.png")),
          an.InvalidResponse, "expected JSON, got text/html", sends=True),
    # create_assets
    gives("client.create_assets", "`[]`, or a frame with no rows",
          "an empty frame with the schema and `url`, no request, no journal written",
          lambda e: (up(e, [], journal=e.tmp / "j.jsonl"), up(e, pd.DataFrame({"url": []}))),
          lambda got, e: all(f.empty and list(f.columns) == [*COLUMNS, "url"] for f in got)
          and not (e.tmp / "j.jsonl").exists()),
    fails("client.create_assets", "one URL as a string", lambda e: up(e, "https://x.example.com/a.png"),
          an.InvalidArgument, "got str. Wrap a single URL in a list"),
    fails("client.create_assets", "`None` or `42`", lambda e: each(lambda v: up(e, v), None, 42),
          an.InvalidArgument, "items must be a list of URLs or a DataFrame with a 'url' column, got int"),
    fails("client.create_assets", "a frame without a `url` column",
          lambda e: up(e, pd.DataFrame({"link": BATCH})), an.InvalidArgument, "items must have a 'url' column"),
    fails("client.create_assets", 'non-http URLs, `""`, `None` and `nan` among good ones (all reported at once)',
          lambda e: up(e, [BATCH[0], "ftp://x/b.png", "javascript:alert(1)//c.png", "", None, float("nan")]),
          an.InvalidArgument, "5 of 6 rows cannot be uploaded: row 1: url must be an http(s) URL of the file, "
          "got 'ftp://x/b.png'; row 2: url must be an http(s) URL of the file, got 'javascript:alert(1)//c.png'; "
          "row 3: url is missing; row 4: url is missing; row 5: url is missing. Nothing was sent."),
    fails("client.create_assets", "a `name` of 257 characters, a `type` of `AUDIO`, an unknown extension",
          lambda e: up(e, pd.DataFrame({"url": [*BATCH, "https://x.example.com/c"],
                                        "name": ["x" * 257, None, None], "type": [None, "AUDIO", None]})),
          an.InvalidArgument, "3 of 3 rows cannot be uploaded: row 0: name must be a string of 1 to 256 "
          "characters, got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'; row 1: type='AUDIO' "
          "cannot be uploaded"),
    fails("client.create_assets", "100,000 URLs, the last one bad (checked before any request)",
          lambda e: up(e, [f"https://x.example.com/{i}.mp4" for i in range(99_999)] + ["nope"]),
          an.InvalidArgument, "1 of 100000 rows cannot be uploaded: row 99999: url must be an http(s) URL"),
    gives("client.create_assets", "`NaN`, `None` or blank `name` and `type` cells",
          "the name from the URL's file name, the type from its extension",
          lambda e: up(e, pd.DataFrame({"url": BATCH, "name": [float("nan"), " "], "type": [None, ""]})),
          lambda f, e: f["name"].tolist() == ["a.png", "b.mp4"] and f["type"].tolist() == ["IMAGE", "VIDEO"],
          sends=True),
    fails("client.create_assets", "two rows with the same name (`a.png` in two folders)",
          lambda e: up(e, ["https://x.example.com/1/a.png", "https://x.example.com/2/a.png"]),
          an.InvalidArgument, "names must be unique within a batch: rows 0, 1 are all named 'a.png'. A name "
          "is how a resumed batch recognises an upload whose answer was lost, so each row needs its own: "
          "pass a DataFrame with a 'name' column"),
    fails("client.create_assets", "`journal=` a directory", lambda e: up(e, BATCH, journal=e.tmp),
          an.InvalidArgument, "journal must be a file path, got the directory"),
    fails("client.create_assets", "`journal=` a file in a missing folder",
          lambda e: up(e, BATCH, journal=e.tmp / "no" / "j.jsonl"), an.InvalidArgument, "does not exist"),
    fails("client.create_assets", "`journal=5`", lambda e: up(e, BATCH, journal=5),
          an.InvalidArgument, "journal must be a file path (str or pathlib.Path), None or False, got int"),
    fails("client.create_assets", "`journal=` a CSV or any file that is not a journal (left as it is)",
          then(write("id,name\n1,a\n"), lambda e: up(e, BATCH, journal=e.tmp / "t.csv")),
          an.InvalidArgument, "is not an argil_nb upload journal (its first line is 'id,name'); it is left as it is"),
    fails("client.create_assets", '`errors="ignore"`', lambda e: up(e, BATCH, errors="ignore"),
          an.InvalidArgument, "errors must be 'raise' or 'coerce'"),
    # wait
    fails("client.wait", "`None`", lambda e: e.client.wait(None), an.InvalidArgument, "ids must be a list"),
    fails("client.wait", '`timeout=-1`, `"10"`, `nan`, `True`',
          lambda e: each(lambda t: e.client.wait([e.ready], timeout=t), "10", float("nan"), True, -1),
          an.InvalidArgument, "timeout must be a number of seconds >= 0"),
    fails("client.wait", "100,000 ids, one bad", lambda e: e.client.wait(many_ids({5: 7})),
          an.InvalidAssetId, "1 asset id is not a UUID: 7"),
    # server answers to GET /assets/{id}
    fails(G, "a 200 with malformed JSON", then(lambda e: answer(e, 200, b'{"id": '), get_ready),
          an.InvalidResponse, "expected JSON, got application/json (7 bytes", sends=True),
    fails(G, "a 200 HTML page (a login or proxy page)",
          then(lambda e: answer(e, 200, "<html><body>Sign in</body></html>", "text/html"), get_ready),
          an.InvalidResponse, "expected JSON, got text/html (33 bytes: '<html><body>Sign in</body></html>')", sends=True),
    fails(G, "an empty 200", then(lambda e: answer(e, 200, b""), get_ready),
          an.InvalidResponse, "expected JSON, got application/json (0 bytes", sends=True),
    gives(G, "JSON sent as `text/plain`", "accepted: the body is read as JSON whatever its content type",
          then(lambda e: answer(e, 200, e.sb.asset(e.ready), "text/plain"), get_ready),
          lambda a, e: a.id == e.ready, sends=True),
    fails(G, "a 200 that is `null`, a number or `[]`",
          lambda e: each(lambda body: then(lambda e: answer(e, 200, body), get_ready)(e), b"null", b"5", []),
          an.InvalidResponse, "malformed asset: expected an asset object, got list", sends=True),
    fails(G, "another asset than the one asked", then(lambda e: answer(e, 200, asset()), get_ready),
          an.InvalidResponse, f"got '{NEW_ID}'", sends=True),
    gives(G, "only `id` (every other field missing)", "an Asset with those fields None; in frames, NA",
          lambda e: served(e, name=..., type=..., status=..., fileUrl=..., thumbnailUrl=..., createdAt=...),
          lambda a, e: (a.name, a.type, a.status, a.created_at) == (None,) * 4 and an.assets_frame([a]).iloc[0].isna().sum() == 6,
          sends=True),
    gives(G, "extra fields (`durationMs`, `tags`)", "kept in `Asset.extra` and `to_api()`; not in frames",
          lambda e: served(e, durationMs=1200, tags=["a"]),
          lambda a, e: a.extra == {"durationMs": 1200, "tags": ["a"]} and list(an.assets_frame([a]).columns) == list(COLUMNS),
          sends=True),
    gives(G, "unknown status and type (`ARCHIVED`, `MODEL3D`)", "kept as they came; frames add them as categories",
          lambda e: served(e, status="ARCHIVED", type="MODEL3D"),
          lambda a, e: (a.status, a.type, an.assets_frame([a])["status"][0]) == ("ARCHIVED", "MODEL3D", "ARCHIVED")
          and not a.is_terminal, sends=True),
    gives(G, "`name`, `status` as numbers, `null` or `true`", "numbers and booleans as their text; null as None",
          lambda e: served(e, name=5, status=None, type=True), lambda a, e: (a.name, a.status, a.type) == ("5", None, "True"),
          sends=True),
    gives(G, "an odd `createdAt` (`\"soon\"`)", "`created_at` None; the raw text stays in `Asset.raw`",
          lambda e: served(e, createdAt="soon"), lambda a, e: a.created_at is None and a.raw["createdAt"] == "soon",
          sends=True),
    fails(G, "a 400 with the API's Error body", then(lambda e: answer(e, 400, {"code": 400, "message": "bad id"}), get_ready),
          an.APIError, "400 on GET /v1/assets/", sends=True),
    fails(G, "a 401 (or 403)", then(lambda e: answer(e, 401, {"code": 401, "message": "Invalid API key"}), get_ready),
          an.AuthenticationError, "Invalid API key. Check ARGIL_API_KEY", sends=True),
    fails(G, "a 404 as an HTML page", then(lambda e: answer(e, 404, "<h1>Not Found</h1>", "text/html"), get_ready),
          an.AssetNotFound, "(non-JSON text/html body: '<h1>Not Found</h1>')", sends=True),
    fails(G, "a 502 proxy page, after the retries", then(lambda e: answer(e, 502, "<html>Bad Gateway</html>", "text/html"), get_ready),
          an.ServerError, "502 on GET /v1/assets/", sends=True),
    fails(G, "a 429 with `Retry-After: 7`, after the retries",
          then(lambda e: answer(e, 429, {"code": 429, "message": "slow down"}, headers={"Retry-After": "7"}), get_ready),
          an.RateLimitError, "429 on GET", sends=True),
    # assets_frame
    fails("assets_frame", "`5` or `None`", lambda e: each(an.assets_frame, 5, None),
          an.InvalidArgument, "assets_frame takes an iterable of Assets or API dicts, got NoneType"),
    fails("assets_frame", "one dict (not in a list)", lambda e: an.assets_frame(asset()),  # type: ignore[arg-type]
          an.InvalidArgument, "not a single dict; wrap it in a list"),
    fails("assets_frame", "a string", lambda e: an.assets_frame("abc"),  # type: ignore[arg-type]
          an.InvalidArgument, "not a single str"),
    fails("assets_frame", "`[asset, None]`", lambda e: an.assets_frame([asset(), None]),  # type: ignore[list-item]
          an.InvalidArgument, "item 1 is a NoneType"),
    gives("assets_frame", "`[]`", "an empty frame with the schema", lambda e: an.assets_frame([]),
          lambda f, e: len(f) == 0 and str(f["created_at"].dtype) == "datetime64[ns, UTC]"),
    gives("assets_frame", "`[{}]`", "one row, every field NA", lambda e: an.assets_frame([{}]),
          lambda f, e: len(f) == 1 and f.iloc[0].isna().all()),
    gives("assets_frame", "`[{'id': 5, 'name': 7}]`", "kept, as text: `'5'`, `'7'`", lambda e: an.assets_frame([{"id": 5, "name": 7}]),
          lambda f, e: (f["id"][0], f["name"][0]) == ("5", "7")),
    # Asset.from_api and createdAt
    fails("Asset.from_api", "`[]`, `\"id\"`, `None`", lambda e: each(an.Asset.from_api, [], "id", None),
          an.InvalidArgument, "expected an asset object, got NoneType"),
    fails("Asset.from_api", "`{}`, `{'id': ''}`, `{'id': 5}`", lambda e: each(an.Asset.from_api, {}, {"id": ""}, {"id": 5}),
          an.InvalidArgument, "asset object has no 'id' (a non-empty string), got 5"),
    gives("Asset.from_api", "an id that is not a UUID", "kept as it came", lambda e: an.Asset.from_api({"id": "x-1"}),
          lambda a, e: a.id == "x-1"),
    gives("Asset.from_api", "`createdAt` `2026-11-01T10:00:00Z`", "10:00 UTC (Asset and frame alike)",
          created_at("2026-11-01T10:00:00Z"), at(2026, 11, 1, 10)),
    gives("Asset.from_api", "`createdAt` `2026-11-01T12:00:00+02:00`", "converted to UTC: 10:00",
          created_at("2026-11-01T12:00:00+02:00"), at(2026, 11, 1, 10)),
    gives("Asset.from_api", "`createdAt` `2026-11-01T10:00:00.123456Z`", "fractions kept",
          created_at("2026-11-01T10:00:00.123456Z"), at(2026, 11, 1, 10, 0, 0, 123456)),
    gives("Asset.from_api", "`createdAt` with 9 fraction digits", "Asset: microseconds; frames from dicts: nanoseconds",
          created_at("2026-11-01T10:00:00.123456789Z"),
          lambda got, e: got[0].microsecond == 123456 and got[1].nanosecond == 789),
    gives("Asset.from_api", "`createdAt` `2026-11-01T10:00:00` (no zone)", "taken as UTC",
          created_at("2026-11-01T10:00:00"), at(2026, 11, 1, 10)),
    gives("Asset.from_api", "`createdAt` `2026-11-01` (a date)", "midnight UTC", created_at("2026-11-01"), at(2026, 11, 1)),
    gives("Asset.from_api", "`createdAt` `null`, `\"\"`, `\"garbage\"`, `1700000000`", "None; NaT in frames",
          lambda e: [created_at(v)(e) for v in (None, "", "garbage", 1700000000)],
          lambda got, e: all(unreadable(g, e) for g in got)),
    gives("Asset.from_api", '`createdAt` `"now"`, `"today"`, `"2026"`, `"-1"`', "None; NaT in frames (not the time of reading)",
          lambda e: [created_at(v)(e) for v in ("now", "today", "2026", "-1")],
          lambda got, e: all(unreadable(g, e) for g in got)),
    gives("Asset.from_api", "`createdAt` `0001-01-01T00:00:00Z` (Go's zero time)",
          "Asset: year 1; frames: NaT (outside the nanosecond range), no crash",
          created_at("0001-01-01T00:00:00Z"), lambda got, e: got[0].year == 1 and pd.isna(got[1])),
    gives("Asset.from_api", "`createdAt` `0001-01-01T00:00:00+05:00`", "None (before year 1 in UTC); NaT",
          created_at("0001-01-01T00:00:00+05:00"), unreadable),
    # to_csv / read_csv
    fails("to_csv", "`[1, 2]`", lambda e: an.to_csv([1, 2], e.tmp / "t.csv"),  # type: ignore[arg-type]
          an.InvalidArgument, "to_csv takes a pandas DataFrame, got list"),
    fails("to_csv", "`path=None`", lambda e: an.to_csv(a_frame(e), None),  # type: ignore[arg-type]
          an.InvalidArgument, "path must be a str or a Path, got NoneType"),
    fails("to_csv", "`t.txt`, `t`, `t.ipynb`", lambda e: each(lambda n: an.to_csv(a_frame(e), e.tmp / n), "t.txt", "t", "t.ipynb"),
          an.InvalidArgument, "the path must end in .csv"),
    fails("to_csv", "a folder named `x.csv`", lambda e: (e.tmp / "x.csv").mkdir() or an.to_csv(a_frame(e), e.tmp / "x.csv"),
          an.InvalidArgument, "it is a directory"),
    fails("to_csv", "a missing folder", lambda e: an.to_csv(a_frame(e), e.tmp / "nope" / "t.csv"),
          an.InvalidArgument, "does not exist"),
    fails("to_csv", "an existing file that is not a status table",
          lambda e: an.to_csv(a_frame(e), write("month,amount\njan,10\n", "budget.csv")(e)),
          an.InvalidArgument, "refusing to overwrite"),
    gives("to_csv", "a frame with only some schema columns", "written as given; `read_csv` then names the missing columns",
          written_then_read, lambda path, e: path.exists()),
    fails("read_csv", "a missing file", lambda e: an.read_csv(e.tmp / "missing.csv"), FileNotFoundError, "No status table to read: no file '/"),
    fails("read_csv", "`None`", lambda e: an.read_csv(None),  # type: ignore[arg-type]
          an.InvalidArgument, "path must be a str or a Path, got NoneType"),
    fails("read_csv", "a folder", lambda e: an.read_csv(e.tmp),
          an.InvalidArgument, "is a folder: read_csv takes a .csv file's path"),
    fails("read_csv", "an empty file", lambda e: an.read_csv(write("")(e)),
          an.InvalidArgument, "is not an argil_nb status table: No columns to parse from file"),
    fails("read_csv", "a binary file", lambda e: an.read_csv(write(b"\xff\xfe\x00PK\x03\x04")(e)),
          an.InvalidArgument, "is not an argil_nb status table: 'utf-8' codec can't decode"),
    fails("read_csv", "another CSV", lambda e: an.read_csv(write("a,b\n1,2\n")(e)),
          an.InvalidArgument, "missing columns ['id', 'name'"),
    fails("read_csv", "a `created_at` of `yesterday`", lambda e: an.read_csv(write(HEADER + "x,n,IMAGE,READY,yesterday,,\n")(e)),
          an.InvalidArgument, "created_at must be ISO 8601 text"),
    fails("to_csv", "an existing CSV with an `id` column that argil_nb did not write (`id,email,plan`)",
          lambda e: an.to_csv(a_frame(e), write(CUSTOMERS, "customers.csv")(e)),
          an.InvalidArgument, "not a status table argil_nb wrote"),
    gives("to_csv", "the same file with `overwrite=True`", "replaced (atomically, its mode kept)",
          lambda e: an.to_csv(a_frame(e), write(CUSTOMERS, "customers.csv")(e), overwrite=True),
          lambda path, e: an.read_csv(path)["id"].tolist() == [NEW_ID]),
    fails("to_csv", '`overwrite="yes"`', lambda e: an.to_csv(a_frame(e), e.tmp / "t.csv", overwrite="yes"),  # type: ignore[arg-type]
          an.InvalidArgument, "overwrite must be True or False"),
    gives("to_csv", "a file argil_nb wrote, with extra columns", "replaced",
          lambda e: an.to_csv(a_frame(e), an.to_csv(a_frame(e).assign(url="u"), e.tmp / "t.csv")),
          lambda path, e: "url" not in an.read_csv(path).columns),
    # the argil-nb command: refused before any request, exit 2, a line or two on stderr
    gives("argil-nb", "no `ARGIL_API_KEY`, no `--sandbox`", "exit 2, naming both (no fake account)",
          cli("list", key=False), said(2, "ARGIL_API_KEY", "--sandbox")),
    gives("argil-nb", "`--sandbox` and `--base-url`", "exit 2: “choose the API twice”",
          cli("--sandbox", "--base-url", "http://127.0.0.1:9/v1", "list"), said(2, "choose the API twice")),
    gives("argil-nb upload", "`urls.txt --csv out.txt`", "exit 2: “must end in .csv”; no row uploaded",
          cli("upload", "urls.txt", "--csv", "out.txt", files={"urls.txt": URL_LINES}), said(2, "must end in .csv")),
    gives("argil-nb upload", "`--csv` a file in a missing folder", "exit 2: “does not exist”; no row uploaded",
          cli("upload", "urls.txt", "--csv", "no/out.csv", files={"urls.txt": URL_LINES}), said(2, "does not exist")),
    gives("argil-nb upload", "`items.csv --csv items.csv` (the input as output)", "exit 2: “is also the input”",
          cli("upload", "items.csv", "--csv", "items.csv", files={"items.csv": "url\n" + URL_LINES}),
          said(2, "is also the input")),
    gives("argil-nb upload", "an empty CSV", "exit 2: “is empty”",
          cli("upload", "empty.csv", files={"empty.csv": ""}), said(2, "is empty")),
    gives("argil-nb upload", "two lines with the same name", "exit 2: the lines, and “add a name column to the CSV”",
          cli("upload", "d.csv", files={"d.csv": "url\nhttps://x.example.com/1/a.png\nhttps://x.example.com/2/a.png\n"}),
          said(2, "lines 2 and 3 are both named 'a.png'", "add a name column to the CSV")),
    gives("argil-nb export", "`--ids ids.csv --csv ids.csv`", "exit 2: “is also the input”; the file kept",
          cli("export", "--ids", "ids.csv", "--csv", "ids.csv", files={"ids.csv": f"id,note\n{NEW_ID},mine\n"}),
          said(2, "is also the input")),
    gives("argil-nb list", "`--csv customers.csv` (a CSV argil_nb did not write)", "exit 2: “pass --force to replace it”",
          cli("list", "--csv", "customers.csv", files={"customers.csv": CUSTOMERS}), said(2, "--force")),
    gives("argil-nb watch", "`--interval 0`, as `an.watch(interval=0)`", "exit 2: “a number of seconds > 0” (0 sent 883 GETs in 5 s)",
          cli("watch", NEW_ID, "--interval", "0"), said(2, "a number of seconds > 0")),
    gives("argil-nb watch", "`--interval nan`", "exit 2: “a number of seconds > 0”",
          cli("watch", NEW_ID, "--interval", "nan"), said(2, "a number of seconds > 0")),
    gives("argil-nb sandbox", "`--port 99999`", "exit 2: “a port number from 0 to 65535”",
          cli("sandbox", "--port", "99999"), said(2, "a port number from 0 to 65535")),
    # show
    fails("show", "`[1, 2]`", lambda e: an.show([1, 2]), an.InvalidArgument, "show takes a pandas DataFrame, got list"),  # type: ignore[arg-type]
    fails("show", "`max_rows=-1`, `True`, `\"5\"`", lambda e: each(lambda n: an.show(a_frame(e), max_rows=n), -1, True, "5"),
          an.InvalidArgument, "max_rows must be an int >= 0"),
    gives("show", "an empty frame", "a table with no rows and `0 assets`", lambda e: an.show(an.assets_frame([]))._repr_html_(),
          lambda html, e: "0 assets" in html and "<td>" not in html),
    gives("show", "a frame without the schema columns", "rendered: missing cells empty, other columns shown",
          lambda e: an.show(pd.DataFrame({"x": ["<b>"]}))._repr_html_(), lambda html, e: "&lt;b&gt;" in html),
    # connect
    fails("connect", "no key (`ARGIL_API_KEY` unset)", lambda e: an.connect(),
          an.InvalidArgument, "for the offline sandbox, call argil_nb.connect(sandbox=True)"),
    fails("connect", "`sandbox=True` with a `base_url`", lambda e: an.connect(sandbox=True, base_url="https://x.example"),
          an.InvalidArgument, "connect(sandbox=True) makes its own base_url"),
    fails("connect", "a key and a plain-http remote `base_url`",
          lambda e: an.connect(api_key="k", base_url="http://api.example.com"), an.InvalidArgument, "uses plain http"),
    fails("connect", "an unknown option", lambda e: an.connect(api_key="k", colour="red"),
          TypeError, "unexpected keyword argument 'colour'"),
]  # fmt: skip


# -- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(seed=21, initial_assets=30, clock=lambda: 0.0, api_key=CANARY_KEY) as sb:
        yield sb


@pytest.fixture
def env(box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.delenv("ARGIL_API_KEY", raising=False)
    monkeypatch.delenv("ARGIL_BASE_URL", raising=False)
    box.clear_responses()
    ready = next(a["id"] for a in box.assets() if a.get("status") == "READY")
    with box.client(max_retries=0, backoff_factor=0) as client:
        box.reset_stats()
        yield Env(box, client, tmp_path, ready)
    box.clear_responses()


def _case_id(case: Case) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "-", f"{case.call} {case.given}").strip("-")
    return words[:60]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_bad_input(case: Case, env: Env) -> None:
    if case.error is not None:
        with pytest.raises(case.error, match=re.escape(case.match)) as info:
            case.run(env)
        if case.error is not FileNotFoundError and case.error is not TypeError:
            assert isinstance(info.value, an.ArgilError)
        assert CANARY_KEY not in str(info.value)
    else:
        assert case.check is not None
        assert case.check(case.run(env), env)
    if not case.sends:
        assert env.sb.stats.requests == 0, "this input must be refused before any request"


def test_matrix_is_large_and_unique() -> None:
    assert len(CASES) >= 100
    keys = [(c.call, c.given) for c in CASES]
    assert len(keys) == len(set(keys))


# -- docs/reliability.md ----------------------------------------------------------------------

INTRO = """\
# Reliability

<!-- Generated by `python -m tests.test_bad_input --write` from the cases in
tests/test_bad_input.py (the soak section is kept as it is). Edit those, not this. -->

What argil_nb does with wrong input, odd server answers, faults and outages. Every row of
the tables below is a test case (tests/test_bad_input.py); tests/test_soak.py,
tests/test_hostile.py, tests/test_key_hygiene.py and tests/test_properties.py cover the rest.
"""

DEFAULT_SOAK = f"""{SOAK_BEGIN}
## Fault soak

(Run `python -m tests.test_soak` and `python -m tests.test_soak --long`, paste the rows here.)
{SOAK_END}"""


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def policy_section() -> str:
    """The retry policy and the outage bounds, computed from the code's constants."""
    default = waiting.request_seconds(4, 0.5, (5.0, 30.0))
    refused = waiting.request_seconds(4, 0.5, (0.0, 0.0))
    limited = waiting.request_seconds(4, 0.5, (0.0, 0.0), retry_after=True)
    return f"""\
## Retries and outage bounds

Per request (argil_nb/waiting/retry.py): GET and DELETE are retried up to 4 times on 429,
500, 502, 503, 504, connection errors and read timeouts: the first retry at once, then
after `0.5 * 2**(n-1)` s plus up to {waiting.BACKOFF_JITTER:g} s of jitter (at most
{waiting.BACKOFF_MAX:g} s), or after the `Retry-After` the server asks for (at most
{waiting.RETRY_AFTER_MAX} s). A POST is retried only on 429 and on failures to connect.

One request's lifetime `T` (`waiting.request_seconds`) with the default client is at
most {default:g} s with timeouts `(5, 30)`, {refused:g} s when the connection is refused
at once, {limited:g} s when every answer is a 429 with a long `Retry-After`.

Per batch (argil_nb/listing.py, argil_nb/batch.py, argil_nb/waiting/backoff.py): a request that still failed with
`APIConnectionError`, `ServerError` or `RateLimitError` gets one more try (a listing page
at once, a GET after the others), so a transient failure reaches the user only when both
tries exhaust their retries: about 4e-8 per request under 18 % random faults, against
2e-4 for one try. An outage is cut short: once {waiting.BREAKER} GETs in a row have failed
that way, no more are sent. During an outage:

| call | returns within | raises |
|---|---|---|
| `get_assets`, listing plan (10 ids or more) | about 4 `T`: a page asked twice, then per-id GETs that stop | `BatchError`; each id's error in `.errors` is an `APIConnectionError` (with `errors="coerce"`, in the `error` column) |
| `get_assets`, per-id plan | about 2 `T` (`max_workers` >= {waiting.BREAKER}): at most {waiting.BREAKER} + `max_workers` - 1 requests | the same |
| `list_assets` | 2 `T`: the first page asked twice | `APIConnectionError` itself: a listing with holes would look complete |
| `wait` | its `timeout`, plus the round in progress: outages are ridden out round after round | `WaitTimeout`, with the last frame |
"""


def _matrix() -> str:
    lines = ["## Bad input: the matrix", "", f"{len(CASES)} cases.", "",
             "| call | input | outcome |", "|---|---|---|"]  # fmt: skip
    lines += [f"| `{c.call}` | {_md(c.given)} | {_md(c.outcome)} |" for c in CASES]
    return "\n".join(lines) + "\n"


def render(existing: str | None = None) -> str:
    """docs/reliability.md: generated sections, and the soak and kill-test figures of
    ``existing``."""
    soak = DEFAULT_SOAK
    if existing and SOAK_BEGIN in existing and SOAK_END in existing:
        start = existing.index(SOAK_BEGIN)
        soak = existing[start : existing.index(SOAK_END, start) + len(SOAK_END)]
    uploads = uploads_section(existing)
    return "\n".join([INTRO, policy_section(), soak, "", uploads, _matrix()])


def test_docs_reliability_is_up_to_date() -> None:
    existing = DOC.read_text(encoding="utf-8") if DOC.exists() else None
    assert existing == render(existing), (
        "docs/reliability.md is out of date with tests/test_bad_input.py: run "
        "`python -m tests.test_bad_input --write` and commit the result"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate docs/reliability.md.")
    parser.add_argument("--write", action="store_true", help="write the file (else print it)")
    args = parser.parse_args()
    existing = DOC.read_text(encoding="utf-8") if DOC.exists() else None
    text = render(existing)
    if args.write:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)} ({len(CASES)} cases)")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
