"""The ``argil-nb`` command: sandbox, get, list, export, upload, watch, demo, lab."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..client import Client
from ..csvio import to_csv
from ..errors import ArgilError, InvalidArgument
from ..frames import COLUMNS, schema_frame
from .terminal import table_text

__all__ = ["main"]


def _client(args: argparse.Namespace) -> Client:
    from .._default import connect

    return connect(base_url=args.base_url) if args.base_url else connect()


def _write(frame: pd.DataFrame, path: str | None) -> None:
    if path:
        written = to_csv(frame, path)
        print(f"wrote {len(frame)} rows to {written}")


def _table_file(path: str, label: str, column: str, more: str = "") -> pd.DataFrame | list[str]:
    """A .csv with a ``column`` column (as a frame of text), or values one per line (a list;
    blank lines and ``#`` comments skipped)."""
    file = Path(path)
    if not file.is_file():
        raise InvalidArgument(f"{label} file {path!r} does not exist")
    if file.suffix.lower() == ".csv":
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        if column not in frame.columns:
            raise InvalidArgument(
                f"{path!r} has no {column!r} column (columns: {list(frame.columns)[:8]}); the "
                f"{label} file needs one{more}"
            )
        return frame
    lines = file.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ids_file(path: str) -> list[str]:
    """Asset ids from a .csv with an ``id`` column, or one per line."""
    found = _table_file(path, "ids", "id")
    if isinstance(found, pd.DataFrame):
        return [v for v in found["id"] if v.strip()]
    return found


def cmd_sandbox(args: argparse.Namespace) -> int:
    from ..sandbox import Sandbox

    try:
        box = Sandbox(
            mode=args.mode,
            port=args.port,
            api_key=args.key,
            seed=args.seed,
            initial_assets=args.assets,
            speed=args.speed,
            latency=args.latency,
            rate_limit=args.rate_limit,
            burst=args.burst,
            write_rate_limit=args.write_rate_limit,
            write_burst=args.write_burst,
            rate_limit_headers=args.rate_limit_headers,
            arrival_rate=args.arrival_rate,
            delete_rate=args.delete_rate,
            churn_per_request=args.churn_per_request,
        )
    except ValueError as exc:
        print(f"argil-nb sandbox: {exc}", file=sys.stderr)
        return 2
    box.start()  # bind first, so that --port 0 prints the port it got
    # Two lines a parent process can read: the second has the base URL and the key.
    print(f"Argil sandbox on {box.base_url}", flush=True)
    print(f"export ARGIL_BASE_URL={box.base_url} ARGIL_API_KEY={box.api_key}", flush=True)
    try:
        box.serve_forever()
    except KeyboardInterrupt:
        print("sandbox stopped")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    frame = _client(args).get_assets(args.ids, errors="coerce", progress=False)
    print(table_text(frame))
    _write(frame.drop(columns="error"), args.csv)
    return 1 if frame["error"].notna().any() else 0


def cmd_list(args: argparse.Namespace) -> int:
    frame = _client(args).list_assets(type=args.type, status=args.status)
    print(table_text(frame))
    print(f"{len(frame)} assets")
    _write(frame, args.csv)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    frame = _client(args).get_assets(_ids_file(args.ids), errors="coerce")
    _write(frame, args.csv)
    failed = int(frame["error"].notna().sum())
    if failed:
        print(f"{failed} ids failed; see the 'error' column", file=sys.stderr)
    return 1 if failed else 0


def _items_file(path: str) -> pd.DataFrame | list[str]:
    """A .csv with a ``url`` column (and optional ``name``, ``type``), or URLs one per line."""
    return _table_file(path, "items", "url", ", and may have 'name' and 'type' columns")


def _with_latest(frame: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (uploads, with url and error) with the statuses of ``latest``."""
    newest = {str(row["id"]): row for _, row in latest.iterrows()}
    records = []
    for _, row in frame.iterrows():
        source = newest.get(str(row["id"]), row)
        records.append({column: source[column] for column in COLUMNS})
    out = schema_frame({c: [r[c] for r in records] for c in COLUMNS})
    for extra in ("url", "error"):
        out[extra] = frame[extra].array
    return out


def cmd_upload(args: argparse.Namespace) -> int:
    items = _items_file(args.items)
    client = _client(args)
    frame = client.create_assets(items, journal=args.journal, errors="coerce")
    failed = frame[frame["error"].notna()]
    done = frame[frame["error"].isna()]
    kept = f"; journal: {args.journal}" if args.journal else ""
    print(f"{len(done)} of {len(frame)} rows uploaded{kept}")
    if args.watch and len(done):
        from .terminal import watch_in_terminal

        frame = _with_latest(frame, watch_in_terminal(client, done["id"], interval=args.interval))
    else:
        print(table_text(frame))
    _write(frame, args.csv)
    if len(failed):
        print(f"{len(failed)} rows failed:", file=sys.stderr)
        for index, row in failed.iterrows():
            print(f"  row {index}: {row['url']}: {row['error']}", file=sys.stderr)
        again = f" --journal {args.journal}" if args.journal else " (with a --journal next time)"
        print(f"run the same command again{again} to retry them", file=sys.stderr)
        return 1
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from .terminal import watch_in_terminal

    frame = watch_in_terminal(_client(args), args.ids, interval=args.interval)
    _write(frame, args.csv)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(csv_path=args.csv, count=args.count)


def cmd_lab(args: argparse.Namespace) -> int:
    from .lab import run_lab

    return run_lab(args.folder, port=args.port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="argil-nb",
        description="The Argil assets API from the terminal. Without ARGIL_API_KEY, commands "
        "run against an embedded offline sandbox.",
    )
    parser.add_argument("--base-url", help="API root (default: ARGIL_BASE_URL or the real API)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "sandbox",
        help="run an Argil-compatible sandbox in the foreground",
        description="Serve an Argil-compatible sandbox until interrupted. It first "
        "prints 'Argil sandbox on BASE_URL', then 'export ARGIL_BASE_URL=BASE_URL "
        "ARGIL_API_KEY=KEY' (the one line with both, for a parent process to read).",
    )
    p.add_argument("--port", type=int, default=8765, help="0: any free port (default 8765)")
    p.add_argument("--key", default=None, help="API key to accept (default: random)")
    p.add_argument("--seed", type=int, default=None, help="seeds the assets (default: random)")
    p.add_argument(
        "--initial-assets", "--assets", dest="assets", type=int, default=24, metavar="N",
        help="seeded assets (default 24)",
    )  # fmt: skip
    p.add_argument("--speed", type=float, default=1.0, help="processing speed factor")
    p.add_argument(
        "--mode", choices=("documented", "friendly"), default=None,
        help="documented: only what Argil documents (one status per list request, whole-second "
        "createdAt, no rate-limit headers); friendly: the sandbox's extensions too "
        "(default: $ARGIL_SANDBOX_MODE, else documented)",
    )  # fmt: skip
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    p.add_argument("--rate-limit", type=float, default=None, help="GET requests per second")
    p.add_argument("--burst", type=int, default=None, help="read bucket size")
    p.add_argument(
        "--write-rate-limit", type=float, default=None, help="POST and DELETE requests per second"
    )
    p.add_argument("--write-burst", type=int, default=None, help="write bucket size")
    p.add_argument(
        "--rate-limit-headers", choices=("ietf", "ietf-structured", "x"), default=None,
        help="rate-limit header family on every answer, with --mode friendly (default: none)",
    )  # fmt: skip
    p.add_argument(
        "--arrival-rate", type=float, default=0.0, help="live uploads per simulated second"
    )
    p.add_argument(
        "--delete-rate", type=float, default=0.0, help="live deletions per simulated second"
    )
    p.add_argument(
        "--churn-per-request", type=int, default=0,
        help="arrivals, finishes and deletions before each request",
    )  # fmt: skip
    p.set_defaults(run=cmd_sandbox)

    p = sub.add_parser("get", help="fetch assets by id")
    p.add_argument("ids", nargs="+")
    p.add_argument("--csv", help="also write the table to this .csv file")
    p.set_defaults(run=cmd_get)

    p = sub.add_parser("list", help="list the account's assets (every status by default)")
    p.add_argument("--status", action="append", help="PROCESSING, READY or FAILED (repeatable)")
    p.add_argument("--type", action="append", help="IMAGE, VIDEO or AUDIO (repeatable)")
    p.add_argument("--csv", help="also write the table to this .csv file")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("export", help="fetch the ids in a file into a CSV")
    p.add_argument("--ids", required=True, help="ids one per line, or a CSV with an id column")
    p.add_argument("--csv", required=True, help="the .csv file to write")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser(
        "upload",
        help="upload the URLs of a file, each exactly once, at the write limit",
        description="Upload every row of ITEMS (a .csv with a 'url' column and optional "
        "'name' and 'type' columns, or a text file of URLs one per line), each exactly once, "
        "as fast as the write limit allows. With --journal, running the same command again "
        "after a crash or a failure resumes the batch: rows already uploaded are not "
        "uploaded again. Exits 1 when rows failed, listing them.",
    )
    p.add_argument("items", help="a .csv with a url column, or URLs one per line")
    p.add_argument("--journal", help="the batch's journal file (makes a rerun resume it)")
    p.add_argument("--watch", action="store_true", help="then watch until READY or FAILED")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    p.add_argument("--csv", help="write the final table (with url and error) to this .csv")
    p.set_defaults(run=cmd_upload)

    p = sub.add_parser("watch", help="a live table until every asset is READY or FAILED")
    p.add_argument("ids", nargs="+")
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--csv", help="write the final table to this .csv file")
    p.set_defaults(run=cmd_watch)

    p = sub.add_parser("demo", help="upload to a sandbox, watch, export: the tour")
    p.add_argument("--csv", default="argil-demo.csv", help="where to write the final table")
    p.add_argument("--count", type=int, default=8, help="assets to upload")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser(
        "lab",
        help="copy the example notebooks into a folder, start a sandbox and JupyterLab there",
        description="Copy the example notebooks into FOLDER (never over a file already there), "
        "then start an offline sandbox and JupyterLab on FOLDER, wired to the sandbox. "
        'Needs JupyterLab: pip install "argil-nb[notebooks]".',
    )
    p.add_argument(
        "folder", nargs="?", default="argil-notebooks", help="default: ./argil-notebooks"
    )
    p.add_argument("--port", type=int, default=8888)
    p.set_defaults(run=cmd_lab)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors: one line, no traceback)."""
    args = _parser().parse_args(argv)
    # Asset names are user data: one the terminal cannot encode must not crash the command.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        code: int = args.run(args)
    except ArgilError as exc:
        print(f"argil-nb: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("argil-nb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code
