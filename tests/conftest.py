"""Shared fixtures: a real sandbox on loopback, a fake clock, a canary key, HTTP sessions,
and the one helper that polls for what another thread does."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import weakref
from collections.abc import Callable, Iterator

import pytest
import requests
from hypothesis import settings

from argil_nb import _default
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox

# Hypothesis draws the same examples on every run, CI or not (its own CI profile, taken
# only where CI=true, derandomizes too): a run's time and outcome do not depend on luck.
# HYPOTHESIS_PROFILE=explore draws afresh each run, to look for new failures.
settings.register_profile("fixed", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

CANARY_KEY = "sk-canary-7f3a9e1c5b2d4f60a8e9c7b5d3f1a2e4"


class FakeClock:
    """A clock that only moves when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds pass; whether it is true.

    For what another thread does (a panel's poller, a sandbox's handler): the timeout only
    keeps a broken test from hanging, it measures nothing, so make it generous.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


@pytest.fixture
def sandbox(clock):
    """A seeded sandbox with 30 assets, processing driven by ``clock``, canary key."""
    with Sandbox(seed=11, initial_assets=30, clock=clock, api_key=CANARY_KEY) as box:
        yield box


@pytest.fixture
def client(sandbox):
    """A client for ``sandbox`` that does not sleep between retries."""
    with sandbox.client(backoff_factor=0, timeout=(2, 5)) as c:
        yield c


@pytest.fixture(autouse=True)
def _cache_in_tmp(monkeypatch, tmp_path_factory):
    """create_assets keeps its default journals in the user's cache folder: a test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _no_default_client_leaks(monkeypatch):
    """connect() makes the default client and a process-wide sandbox: keep both in the test."""
    monkeypatch.setattr(_default, "_default", None)
    monkeypatch.setattr(_default, "_sandbox", None)
    monkeypatch.setattr(_default, "_users", weakref.WeakSet())
    yield
    if _default._sandbox is not None:
        _default._sandbox.stop()


@pytest.fixture
def panels() -> Iterator[list[StatusPanel]]:
    """The panels a test makes, closed after it (their poller threads stopped)."""
    made: list[StatusPanel] = []
    yield made
    for panel in made:
        panel.close()


@pytest.fixture
def default_sigint() -> Iterator[None]:
    """SIGINT with Python's own handler, as in a terminal or a kernel running a cell."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def swallowed_ctrl_c() -> None:
    """A Ctrl-C whose KeyboardInterrupt is lost, as in numpy code called from C."""
    with contextlib.suppress(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)


def session_for(sb: Sandbox) -> requests.Session:
    """A plain ``requests`` session that sends ``sb``'s key: the API as any client sees it."""
    session = requests.Session()
    session.headers["x-api-key"] = sb.api_key
    return session


@pytest.fixture
def api(sb: Sandbox) -> Iterator[requests.Session]:
    """A session for the module's ``sb`` sandbox fixture."""
    with session_for(sb) as session:
        yield session


@pytest.fixture
def box() -> Iterator[Sandbox]:
    """An empty sandbox whose assets only change when a test says so."""
    with Sandbox(seed=3, initial_assets=0, processing_seconds=(1e6, 2e6), failure_rate=0) as sb:
        yield sb


@pytest.fixture
def fast(box: Sandbox):
    """A client for ``box`` that neither retries nor waits long."""
    with box.client(max_retries=0, timeout=(0.5, 2), backoff_factor=0) as c:
        yield c
