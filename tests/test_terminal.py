"""The terminal live table (argil-nb watch/demo): redraw in place on a TTY, summaries otherwise."""

import io
import signal

from argil_nb.cli.terminal import summary_line, watch_table

from .conftest import swallowed_ctrl_c


class Tty(io.StringIO):
    def isatty(self):
        return True


def upload(client, n):
    return [client.create_asset(f"https://x.example.com/t{i}.png").id for i in range(n)]


def test_redraws_in_place_on_a_terminal(sandbox, client, clock):
    ids = upload(client, 3)
    out = Tty()
    frame, _ = watch_table(client, ids, interval=1, out=out, sleep=lambda s: clock.advance(5))
    text = out.getvalue()
    assert "\x1b[" in text  # cursor up + clear: the table is redrawn, not appended
    assert frame["status"].isin(["READY", "FAILED"]).all()
    assert "3/3 finished" in text.rstrip().splitlines()[-1]


def test_prints_only_changed_summaries_to_a_pipe(sandbox, client, clock):
    ids = upload(client, 2)
    out = io.StringIO()
    ticks = iter([0, 0, 0, 60])
    watch_table(client, ids, interval=1, out=out, sleep=lambda s: clock.advance(next(ticks, 60)))
    lines = out.getvalue().splitlines()
    summaries = [line for line in lines if line.startswith("[")]
    assert len(summaries) == len(set(summaries))  # no repeats while nothing changes
    assert "\x1b[" not in out.getvalue()
    assert summaries[-1].split("]")[1].startswith(" 2/2 finished")


def test_summary_line():
    import argil_nb as an

    frame = an.assets_frame(
        [
            {"id": "00000000-0000-4000-8000-000000000001", "status": "READY"},
            {"id": "00000000-0000-4000-8000-000000000002", "status": "PROCESSING"},
        ]
    )
    line = summary_line(frame)
    assert "1/2 finished" in line and "READY 1" in line and "PROCESSING 1" in line


def test_a_ctrl_c_whose_exception_was_lost_still_stops(sandbox, client, default_sigint):
    """numpy, called from C by pandas, can swallow the KeyboardInterrupt: the loop still stops
    (argil-nb watch once polled on after Ctrl-C, 5 runs in 855 under load)."""
    sandbox.configure(processing_seconds=(1000.0, 1000.0))
    ids = upload(client, 1)
    out = io.StringIO()
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        assert len(slept) < 3, "a lost Ctrl-C did not stop the loop"
        swallowed_ctrl_c()

    _, stopped = watch_table(client, ids, interval=1, out=out, sleep=sleep)
    assert stopped and "stopped" in out.getvalue() and len(slept) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
