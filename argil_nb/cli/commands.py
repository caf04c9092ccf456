"""The ``argil-nb`` command: the parser, and one function per subcommand.

Exit codes, as Unix tools have them: 0 done; 1 the work failed, or some of it did (an API
error, ids or rows that failed, a busy port); 2 the command cannot run as given (a bad
argument or input file, no key), and nothing was sent; 130 interrupted by Ctrl-C.

Each command checks everything it is given (arguments, input files, output paths) before its
first request, so that a refused command has done nothing: an upload refused for its output
path had already uploaded every row. Errors are a line or two on stderr, never a traceback.

The API is the real one with ``ARGIL_API_KEY`` (``--base-url`` or ``ARGIL_BASE_URL`` to
point elsewhere), or the offline sandbox with ``--sandbox``: the shared one when
``argil-nb sandbox --background`` runs, else a fresh one for this command (it says so).
Without either, a command exits 2 naming both: no command ever falls back to a fake account.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ..client import Client
from ..csvio import to_csv
from ..errors import ArgilError, BatchError, InvalidArgument, InvalidAssetId
from ..frames import COLUMNS, ERROR_COLUMN, schema_frame
from ..models import canonical_id
from ..uploads.journal import default_journal
from ..waiting import QUIET_AFTER
from . import shared
from .inputs import Usage, check_journal, check_output, journal_state, read_ids, read_items
from .terminal import failures, table_text

__all__ = ["main"]

VERSION = "0.1.0"  # argil_nb.__version__ (tests/test_cli_args.py keeps them in step)
SANDBOX_SEED = 0
"""A fresh sandbox is seeded: ``argil-nb --sandbox list`` shows the same account each time."""
_NO_KEY = (
    "no Argil API key: set ARGIL_API_KEY (export ARGIL_API_KEY=...) to use your account\n"
    "or add --sandbox for the offline sandbox, e.g. argil-nb --sandbox {command}"
)
_FRESH = (
    "argil-nb: using a fresh offline sandbox, gone when this command ends; to share one "
    "between commands: argil-nb sandbox --background"
)


# -- the API ------------------------------------------------------------------------------------


class _Api:
    """The API of one command, chosen once its arguments are checked; nothing is sent yet."""

    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.fresh = False
        self._shared: shared.Shared | None = None
        self._client: Client | None = None
        if args.sandbox:
            self._shared = shared.find()
            self.fresh = self._shared is None
        elif not os.environ.get("ARGIL_API_KEY", "").strip():
            raise Usage(_NO_KEY.format(command=args.command))
        else:  # checks the key and the URL (--base-url, else ARGIL_BASE_URL), sends nothing
            self._client = stack.enter_context(Client(base_url=args.base_url))

    def client(self) -> Client:
        """The client; a fresh sandbox is started here, and stopped when the command ends."""
        if self._client is not None:
            return self._client
        if self._shared is not None:
            return self.stack.enter_context(self._shared.client())
        from ..sandbox import Sandbox

        box = self.stack.enter_context(Sandbox(seed=SANDBOX_SEED))
        print(_FRESH, file=sys.stderr)
        client: Client = self.stack.enter_context(box.client())
        return client


def _progress() -> bool | None:
    """Progress bars on a terminal only (in a pipe or a log they are noise)."""
    return None if sys.stderr.isatty() else False


# -- what commands share ----------------------------------------------------------------------


def _check_ids(values: Sequence[str]) -> list[str]:
    bad = [v for v in values if canonical_id(v) is None]
    if bad:
        raise InvalidAssetId(bad)
    return list(values)


def _write(frame: pd.DataFrame, args: argparse.Namespace) -> None:
    if args.csv:
        written = to_csv(frame, args.csv, overwrite=args.force)
        print(f"wrote {len(frame)} rows to {written}")


def _failed_ids(frame: pd.DataFrame) -> int:
    """Say which ids failed, on stderr: 1 when any did, else 0."""
    failed = frame[frame[ERROR_COLUMN].notna()]
    if failed.empty:
        return 0
    shown = ", ".join(f"{row['id']} ({row[ERROR_COLUMN]})" for _, row in failed.head(3).iterrows())
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    print(
        f"{len(failed)} of {len(frame)} ids failed; ids that failed: {shown}{more}", file=sys.stderr
    )
    return 1


def _latest(frame: pd.DataFrame, newer: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the rows of ``newer`` (by id) in place of its own, its extra columns kept."""
    rows = {str(row["id"]): row for _, row in newer.iterrows()}
    records = [rows.get(str(row["id"]), row) for _, row in frame.iterrows()]
    out = schema_frame({column: [r[column] for r in records] for column in COLUMNS})
    for extra in frame.columns:
        if extra not in COLUMNS:
            out[extra] = frame[extra].array
    return out


# -- the commands: check everything, then act -------------------------------------------------


def cmd_get(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    ids = _check_ids(args.ids)
    if args.csv:
        check_output(args.csv, force=args.force, inputs={})
    api = _Api(args, stack)
    frame = api.client().get_assets(ids, errors="coerce", progress=False)
    print(table_text(frame))
    _write(frame, args)
    return _failed_ids(frame)


def cmd_list(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    if args.csv:
        check_output(args.csv, force=args.force, inputs={})
    api = _Api(args, stack)
    frame = api.client().list_assets(type=args.type, status=args.status, progress=_progress())
    print(table_text(frame))
    print(f"{len(frame)} assets")
    _write(frame, args)
    return 0


def cmd_export(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    ids, skipped = read_ids(args.ids)
    check_output(args.csv, force=args.force, inputs={"the input (--ids)": args.ids})
    api = _Api(args, stack)
    if skipped:
        print(
            f"skipped {skipped} row{'s' if skipped > 1 else ''} of {args.ids} without an id "
            "(uploads that failed)",
            file=sys.stderr,
        )
    frame = api.client().get_assets(ids, errors="coerce", progress=_progress())
    _write(frame, args)
    return _failed_ids(frame)


def _resuming(journal: str, keys: list[str], read_timeout: float) -> None:
    """Say what a resumed batch will do before it does it (a silent 30 s wait looked hung)."""
    uploaded, lost = journal_state(journal, keys)
    if uploaded:
        print(f"resuming {journal}: {uploaded} rows already uploaded are not uploaded again")
    if lost:
        # create_assets leaves the server a read timeout before looking for a recent one.
        now = datetime.now(UTC)
        recent = any((now - since).total_seconds() < QUIET_AFTER for since in lost)
        wait = f"waiting {read_timeout:g} s (the read timeout) for the server to finish them, "
        print(
            f"resuming {journal}: {len(lost)} uploads of the last run were sent without an "
            f"answer; {wait if recent else ''}then looking for them in the account, so that "
            "none is uploaded twice",
            flush=True,
        )


def _default_journal(base_url: str, keys: list[str]) -> str | None:
    """The journal create_assets keeps when given none (None: it cannot keep one)."""
    try:
        return str(default_journal(base_url, keys))
    except OSError:
        return None  # create_assets warns of it itself


def cmd_upload(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    items = read_items(args.items)
    if args.journal:
        check_journal(args.journal, args.items)
    if args.csv:
        inputs = {"the input items file": args.items, "the journal (--journal)": args.journal}
        check_output(args.csv, force=args.force, inputs=inputs)
    api = _Api(args, stack)
    if args.journal and api.fresh:
        raise Usage(
            "--journal on a fresh sandbox could never resume (the sandbox is gone when the "
            "command ends): start a shared one first, argil-nb sandbox --background"
        )
    client = api.client()
    frame_in = pd.DataFrame(
        {"url": [i.url for i in items], "name": [i.name for i in items],
         "type": [i.type for i in items]}
    )  # fmt: skip
    keys = [i.key for i in items]
    journal = args.journal or (None if api.fresh else _default_journal(client.base_url, keys))
    if journal:
        _resuming(journal, keys, client.timeout[1])
    options: dict[str, Any] = {"journal": args.journal} if args.journal else {}
    try:
        frame = client.create_assets(frame_in, errors="coerce", progress=_progress(), **options)
    except KeyboardInterrupt:
        if journal:
            print(
                "argil-nb upload: interrupted; run the same command again to finish the batch "
                "(rows already uploaded are not uploaded again)",
                file=sys.stderr,
            )
            raise _Interrupted from None
        raise
    failed = frame[frame[ERROR_COLUMN].notna()]
    done = frame[frame[ERROR_COLUMN].isna()]
    kept = f"; journal: {args.journal}" if args.journal else ""
    print(f"{len(done)} of {len(frame)} rows uploaded{kept}")
    stopped = False
    if args.watch and len(done):
        from .terminal import watch_table

        watched, stopped = watch_table(client, done["id"], interval=args.interval)
        frame = _latest(frame, watched)
    else:
        print(table_text(frame))
    _write(frame, args)
    if len(failed):
        print(f"{len(failed)} rows failed:", file=sys.stderr)
        for index, row in failed.iterrows():
            line = items[int(str(index))].line
            print(f"  line {line}: {row['url']}: {row[ERROR_COLUMN]}", file=sys.stderr)
        again = f" --journal {args.journal}" if args.journal else " (with a --journal next time)"
        print(f"run the same command again{again} to retry them", file=sys.stderr)
    return 130 if stopped else 1 if len(failed) else 0


def cmd_watch(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    from .terminal import watch_table

    ids = _check_ids(args.ids)
    if args.csv:
        check_output(args.csv, force=args.force, inputs={})
    api = _Api(args, stack)
    client = api.client()
    first = client.get_assets(ids, errors="coerce", progress=False)
    failed = _failed_ids(first)
    good = first[first[ERROR_COLUMN].isna()].drop(columns=ERROR_COLUMN).reset_index(drop=True)
    stopped = False
    frame = first
    if len(good):
        watched, stopped = watch_table(client, good["id"], interval=args.interval, first=good)
        frame = _latest(first, watched)
    _write(frame, args)
    return 130 if stopped else failed


def cmd_demo(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    from .demo import run_demo

    _not_here(args, "the demo runs on an offline sandbox of its own")
    check_output(args.csv, force=args.force, inputs={})
    return run_demo(csv_path=args.csv, count=args.count, overwrite=args.force)


def cmd_lab(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    from .lab import run_lab

    _not_here(args, "lab wires JupyterLab to an offline sandbox")
    if os.path.exists(args.folder) and not os.path.isdir(args.folder):
        raise Usage(f"{args.folder!r} exists and is not a folder: pass a folder for the notebooks")
    return run_lab(args.folder, port=args.port)


def _not_here(args: argparse.Namespace, why: str) -> None:
    if args.base_url:
        raise Usage(f"--base-url does not apply: {why}")


def cmd_sandbox(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    _not_here(args, "argil-nb sandbox serves one itself")
    if args.stop:
        print(shared.stop())
        return 0
    if args.background:
        return _background(args)
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
        raise Usage(str(exc)) from None
    try:
        box.start()  # bind first, so that --port 0 prints the port it got
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(
            f"argil-nb sandbox: port {args.port} is in use (another sandbox or program holds "
            "it): pass --port N, or --port 0 for any free port",
            file=sys.stderr,
        )
        return 1
    if args.serve_shared:
        shared.write_record(box.base_url, box.api_key)
        signal.signal(signal.SIGTERM, _stop_serving)  # --stop: stop as on Ctrl-C
    else:
        # Two lines a parent process can read: the second has the base URL and the key.
        print(f"Argil sandbox on {box.base_url}", flush=True)
        print(f"export ARGIL_BASE_URL={box.base_url} ARGIL_API_KEY={box.api_key}", flush=True)
    try:
        box.serve_forever()
    except KeyboardInterrupt:
        print("sandbox stopped")
    finally:
        if args.serve_shared:
            shared.remove_record(os.getpid())
    return 0


def _stop_serving(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _background(args: argparse.Namespace) -> int:
    running = shared.find()
    if running is not None:
        print(
            f"argil-nb sandbox: a shared sandbox already runs on {running.base_url}: "
            "argil-nb sandbox --stop stops it",
            file=sys.stderr,
        )
        return 1
    options = [a for a in args.argv[args.argv.index("sandbox") + 1 :] if a != "--background"]
    try:
        started = shared.start_background(options)
    except RuntimeError as exc:
        message = str(exc).removeprefix("argil-nb sandbox: ")
        print(f"argil-nb sandbox: {message}", file=sys.stderr)
        return 1
    print(
        f"shared sandbox on {started.base_url} (pid {started.pid}): commands with --sandbox "
        "use it; argil-nb sandbox --stop stops it"
    )
    print(f"export ARGIL_BASE_URL={started.base_url} ARGIL_API_KEY={started.api_key}")
    return 0


# -- the parser ---------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        # Two lines, not the whole usage (a dozen for `sandbox`) above the one that matters.
        self.exit(2, f"{self.prog}: {message}\n{self.prog} --help shows the options\n")


def _typed(what: str, check: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return check(text)
        except (ValueError, InvalidArgument):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def _number(*, above: float | None = None, at_least: float | None = None) -> Callable[[str], Any]:
    def check(text: str) -> float:
        value = float(text)
        low_ok = value > above if above is not None else value >= (at_least or 0.0)
        if not (math.isfinite(value) and low_ok):
            raise ValueError(text)
        return value

    bound = f"> {above:g}" if above is not None else f">= {at_least or 0:g}"
    return _typed(f"a number {bound}", check)


def _integer(minimum: int | None = None) -> Callable[[str], Any]:
    def check(text: str) -> int:
        value = int(text)
        if minimum is not None and value < minimum:
            raise ValueError(text)
        return value

    return _typed("an integer" + (f" >= {minimum}" if minimum is not None else ""), check)


def _seconds(text: str) -> float:
    # As an.watch() checks its interval (check_number, above 0): 0 polled 883 times in 5 s.
    from .._checks import check_number

    return check_number("interval", float(text), above=0, unit="seconds")


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(text)
    return value


def _choice(*choices: str) -> Callable[[str], Any]:
    def check(text: str) -> str:
        value = text.strip().upper()
        if value not in choices:
            raise ValueError(text)
        return value

    return _typed(", ".join(choices[:-1]) + f" or {choices[-1]}", check)


SECONDS = _typed("a number of seconds > 0", _seconds)
PORT = _typed("a port number from 0 to 65535 (0: any free port)", _port)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="argil-nb",
        description="The Argil assets API from the terminal. Set ARGIL_API_KEY for your "
        "account, or add --sandbox for the offline sandbox (the shared one of 'argil-nb "
        "sandbox --background' when it runs, else a fresh one for the command). Exit codes: "
        "0 done, 1 the work failed (or some of it), 2 bad arguments or input (nothing sent), "
        "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"argil-nb {VERSION}")
    # The API options are taken before the subcommand or after it (`argil-nb list --sandbox`);
    # SUPPRESS keeps a subcommand from overwriting what was given before it.
    api = _Parser(add_help=False)
    for options, default in ((parser, None), (api, argparse.SUPPRESS)):
        options.add_argument(
            "--sandbox", action="store_true", default=default or False,
            help="use the offline sandbox, not your account",
        )  # fmt: skip
        options.add_argument(
            "--base-url", default=default, help="API root (default: ARGIL_BASE_URL or Argil's)"
        )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    force = _Parser(add_help=False)
    force.add_argument(
        "--force", action="store_true",
        help="replace the --csv file even when argil_nb did not write it",
    )  # fmt: skip

    p = sub.add_parser(
        "sandbox",
        parents=[api],
        help="run an Argil-compatible sandbox (in the foreground, or shared in the background)",
        description="Serve an Argil-compatible sandbox until interrupted. It first prints "
        "'Argil sandbox on BASE_URL', then 'export ARGIL_BASE_URL=BASE_URL ARGIL_API_KEY=KEY' "
        "(the one line with both, for a parent process to read). With --background it serves "
        "in a process of its own, which later commands given --sandbox use, until "
        "'argil-nb sandbox --stop'.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--background", action="store_true", help="serve in the background, shared by --sandbox"
    )
    mode.add_argument("--stop", action="store_true", help="stop the shared sandbox")
    p.add_argument("--serve-shared", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=PORT, default=8765, help="0: any free port (default 8765)")
    p.add_argument("--key", default=None, help="API key to accept (default: random)")
    p.add_argument(
        "--seed", type=_integer(), default=None, help="seeds the assets (default: random)"
    )
    p.add_argument(
        "--initial-assets", "--assets", dest="assets", type=_integer(0), default=24, metavar="N",
        help="seeded assets (default 24)",
    )  # fmt: skip
    p.add_argument("--speed", type=_number(above=0), default=1.0, help="processing speed factor")
    p.add_argument(
        "--mode", choices=("documented", "friendly"), default=None,
        help="documented: only what Argil documents (one status per list request, whole-second "
        "createdAt, no rate-limit headers); friendly: the sandbox's extensions too "
        "(default: $ARGIL_SANDBOX_MODE, else documented)",
    )  # fmt: skip
    p.add_argument(
        "--latency", type=_number(at_least=0), default=0.0, help="seconds added to each request"
    )
    p.add_argument(
        "--rate-limit", type=_number(above=0), default=None, help="GET requests per second"
    )
    p.add_argument("--burst", type=_integer(1), default=None, help="read bucket size")
    p.add_argument(
        "--write-rate-limit", type=_number(above=0), default=None,
        help="POST and DELETE requests per second",
    )  # fmt: skip
    p.add_argument("--write-burst", type=_integer(1), default=None, help="write bucket size")
    p.add_argument(
        "--rate-limit-headers", choices=("ietf", "ietf-structured", "x"), default=None,
        help="rate-limit header family on every answer, with --mode friendly (default: none)",
    )  # fmt: skip
    p.add_argument(
        "--arrival-rate", type=_number(at_least=0), default=0.0,
        help="live uploads per simulated second",
    )  # fmt: skip
    p.add_argument(
        "--delete-rate", type=_number(at_least=0), default=0.0,
        help="live deletions per simulated second",
    )  # fmt: skip
    p.add_argument(
        "--churn-per-request", type=_integer(0), default=0,
        help="arrivals, finishes and deletions before each request",
    )  # fmt: skip
    p.set_defaults(run=cmd_sandbox)

    p = sub.add_parser("get", parents=[api, force], help="fetch assets by id")
    p.add_argument("ids", nargs="+")
    p.add_argument("--csv", help="also write the table (with an error column) to this .csv")
    p.set_defaults(run=cmd_get)

    p = sub.add_parser(
        "list", parents=[api, force], help="list the account's assets (every status by default)"
    )
    p.add_argument(
        "--status", action="append", type=_choice("PROCESSING", "READY", "FAILED"),
        help="PROCESSING, READY or FAILED (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--type", action="append", type=_choice("IMAGE", "VIDEO", "AUDIO"),
        help="IMAGE, VIDEO or AUDIO (repeatable)",
    )  # fmt: skip
    p.add_argument("--csv", help="also write the table to this .csv file")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("export", parents=[api, force], help="fetch the ids in a file into a CSV")
    p.add_argument("--ids", required=True, help="ids one per line, or a CSV with an id column")
    p.add_argument("--csv", required=True, help="the .csv file to write (with an error column)")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser(
        "upload",
        parents=[api, force],
        help="upload the URLs of a file, each exactly once, at the write limit",
        description="Upload every row of ITEMS (a .csv with a 'url' column and optional "
        "'name' and 'type' columns, or a text file of URLs one per line), each exactly once, "
        "as fast as the write limit allows. Every line is checked first: nothing is sent when "
        "one cannot be uploaded. A .csv argil_nb wrote can be fed back as it is. With "
        "--journal, running the same command again after a crash or a failure resumes the "
        "batch: rows already uploaded are not uploaded again. Exits 1 when rows failed, "
        "listing them.",
    )
    p.add_argument("items", help="a .csv with a url column, or URLs one per line")
    p.add_argument("--journal", help="the batch's journal file (makes a rerun resume it)")
    p.add_argument("--watch", action="store_true", help="then watch until READY or FAILED")
    p.add_argument(
        "--interval", type=SECONDS, default=2.0, help="seconds between refreshes (default 2)"
    )
    p.add_argument("--csv", help="write the final table (with url and error) to this .csv")
    p.set_defaults(run=cmd_upload)

    p = sub.add_parser(
        "watch", parents=[api, force], help="a live table until every asset is READY or FAILED"
    )
    p.add_argument("ids", nargs="+")
    p.add_argument(
        "--interval", type=SECONDS, default=2.0, help="seconds between refreshes (default 2)"
    )
    p.add_argument("--csv", help="write the final table (with an error column) to this .csv")
    p.set_defaults(run=cmd_watch)

    p = sub.add_parser(
        "demo", parents=[api, force], help="upload to a sandbox, watch, export: the tour",
        description="The tour, on an offline sandbox of its own (never your account): upload, "
        "watch the uploads process, export the table.",
    )  # fmt: skip
    p.add_argument("--csv", default="argil-demo.csv", help="where to write the final table")
    p.add_argument("--count", type=_integer(1), default=8, help="assets to upload")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser(
        "lab",
        parents=[api],
        help="copy the example notebooks into a folder, start a sandbox and JupyterLab there",
        description="Copy the example notebooks into FOLDER (never over a file already there), "
        "then start JupyterLab on FOLDER, wired to an offline sandbox (the shared one of "
        "'argil-nb sandbox --background' when it runs, else one of its own), never to your "
        'account. Needs JupyterLab: pip install "argil-nb[notebooks]".',
    )
    p.add_argument(
        "folder", nargs="?", default="argil-notebooks", help="default: ./argil-notebooks"
    )
    p.add_argument(
        "--port", type=PORT, default=8888, help="JupyterLab's port (default 8888; when it is "
        "busy JupyterLab takes the next free one, and the address printed says which)",
    )  # fmt: skip
    p.set_defaults(run=cmd_lab)
    return parser


class _Interrupted(Exception):
    """Ctrl-C, already explained to the user."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1, 2 or 130; see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse printed
        return exc.code if isinstance(exc.code, int) else 2
    args.argv = argv
    # Asset names are user data: one the terminal cannot encode must not crash the command.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    where = f"argil-nb {args.command}"
    try:
        with contextlib.ExitStack() as stack:
            if args.sandbox and args.base_url:
                raise Usage("--sandbox and --base-url choose the API twice: pass one of them")
            code: int = args.run(args, stack)
    except Usage as exc:
        print(f"{where}: {exc}", file=sys.stderr)
        return 2
    except (InvalidArgument, InvalidAssetId) as exc:  # raised before any request
        print(f"argil-nb: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except BatchError as exc:
        print(f"{where}: {failures(exc)}", file=sys.stderr)
        return 1
    except ArgilError as exc:
        print(f"argil-nb: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except _Interrupted:  # said what to do already
        return 130
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code
