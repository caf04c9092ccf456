"""The background loop: start/stop, the returned delay, errors, ending itself, no leaks."""

from __future__ import annotations

import logging
import threading

import pytest

from argil_nb.panel import _ticker
from argil_nb.panel._ticker import Ticker

WAIT = 5.0  # generous upper bound for an event; never reached when things work


def _threads_named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_calls_until_stopped_and_start_is_a_noop_when_running() -> None:
    calls = []
    third = threading.Event()

    def func() -> float:
        calls.append(threading.current_thread().name)
        if len(calls) >= 3:
            third.set()
        return 0.0

    ticker = Ticker(func, 1.0, name="t-basic")
    assert ticker.start() is True
    assert ticker.start() is False  # already running: no second thread
    assert third.wait(WAIT)
    assert ticker.running
    assert len(_threads_named("t-basic")) == 1
    assert ticker.stop() is True
    assert not ticker.running
    assert _threads_named("t-basic") == []
    assert set(calls) == {"t-basic"}
    assert ticker.stop() is True  # stopping twice is fine


def test_the_returned_delay_is_the_wait_and_stop_cuts_it_short() -> None:
    first = threading.Event()
    calls = []

    def func() -> float:
        calls.append(1)
        first.set()
        return 3600.0  # an hour: only stop() can end this wait

    ticker = Ticker(func, 0.0, name="t-delay")
    ticker.start()
    assert first.wait(WAIT)
    assert ticker.stop(timeout=WAIT) is True
    assert calls == [1]


def test_wake_runs_func_again_now() -> None:
    calls = []
    first, second = threading.Event(), threading.Event()

    def func() -> float:
        calls.append(1)
        (first if len(calls) == 1 else second).set()
        return 3600.0

    ticker = Ticker(func, 0.0, name="t-wake")
    ticker.wake()  # not running: nothing happens
    ticker.start()
    assert first.wait(WAIT)
    ticker.wake()
    assert second.wait(WAIT)
    ticker.stop()
    assert len(calls) == 2


def test_returning_none_ends_the_loop() -> None:
    done = threading.Event()

    def func() -> None:
        done.set()
        return None

    ticker = Ticker(func, 0.0, name="t-none")
    ticker.start()
    assert done.wait(WAIT)
    for thread in _threads_named("t-none"):
        thread.join(WAIT)
    assert not ticker.running
    assert ticker.start() is True  # it can run again
    assert ticker.stop() is True


def test_an_exception_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls = []
    again = threading.Event()

    def func() -> float:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        again.set()
        return 3600.0

    ticker = Ticker(func, 0.0, name="t-error")
    with caplog.at_level(logging.ERROR, logger="argil_nb"):
        ticker.start()
        assert again.wait(WAIT)
        ticker.stop()
    assert len(calls) == 2
    assert "boom" in caplog.text


def test_stop_from_inside_func_does_not_deadlock() -> None:
    box: list[Ticker] = []
    result = []
    ended = threading.Event()

    def func() -> float:
        result.append(box[0].stop())
        ended.set()
        return 0.0

    ticker = Ticker(func, 0.0, name="t-self")
    box.append(ticker)
    ticker.start()
    assert ended.wait(WAIT)
    for thread in _threads_named("t-self"):
        thread.join(WAIT)
    assert result == [True]
    assert not ticker.running


def test_stop_reports_a_thread_stuck_in_func_and_restart_is_safe() -> None:
    entered, release = threading.Event(), threading.Event()

    def func() -> float:
        entered.set()
        release.wait(WAIT)
        return 0.0

    ticker = Ticker(func, 0.0, name="t-stuck")
    ticker.start()
    assert entered.wait(WAIT)
    assert ticker.stop(timeout=0.0) is False  # still inside func
    release.set()
    for thread in _threads_named("t-stuck"):
        thread.join(WAIT)
    assert _threads_named("t-stuck") == []  # it ended once func returned


def test_atexit_hook_stops_running_tickers() -> None:
    started = threading.Event()

    def func() -> float:
        started.set()
        return 3600.0

    ticker = Ticker(func, 0.0, name="t-atexit")
    ticker.start()
    assert started.wait(WAIT)
    _ticker._stop_all()
    assert not ticker.running
    assert _threads_named("t-atexit") == []


def test_many_start_stop_cycles_leak_no_thread() -> None:
    before = set(threading.enumerate())
    for _ in range(100):
        ticker = Ticker(lambda: 0.01, 0.0, name="t-cycle")
        ticker.start()
        assert ticker.stop(timeout=WAIT)
    assert set(threading.enumerate()) - before == set()


@pytest.mark.parametrize("interval", [-1, float("nan")])
def test_bad_interval_is_refused(interval: float) -> None:
    with pytest.raises(ValueError, match="interval"):
        Ticker(lambda: None, interval)
