"""wait(): polls until terminal, few requests, backoff, timeouts; sandbox clock injected."""

import itertools
import signal
import threading
import uuid

import pytest

import argil_nb as an
from argil_nb import polling, waiting

from .conftest import swallowed_ctrl_c


def upload(client, n):
    return [client.create_asset(f"https://x.example.com/clip-{i}.mp4").id for i in range(n)]


def run_wait(client, ids, clock, **kwargs):
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.advance(seconds)

    frame = polling.wait(client, ids, clock=clock, sleep=sleep, progress=False, **kwargs)
    return frame, slept


def test_waits_until_every_asset_is_terminal(sandbox, client, clock):
    ids = upload(client, 6)
    frame, slept = run_wait(client, ids, clock)
    assert frame["id"].tolist() == ids
    assert set(frame["status"]) <= {"READY", "FAILED"}
    truth = {a["id"]: a["status"] for a in sandbox.assets()}
    assert all(truth[i] == s for i, s in zip(frame["id"], frame["status"]))
    assert slept and max(slept) <= waiting.WAIT_MAX_INTERVAL


def test_interval_backs_off_to_the_maximum(sandbox, client, clock):
    sandbox.configure(processing_seconds=(60.0, 60.0))
    ids = upload(client, 1)
    _, slept = run_wait(client, ids, clock)
    assert slept[0] == waiting.WAIT_INTERVAL
    assert all(b >= a for a, b in itertools.pairwise(slept))
    assert slept[-1] == waiting.WAIT_MAX_INTERVAL


def test_many_uploads_are_polled_by_listing(sandbox, client, clock):
    ids = upload(client, 120)
    sandbox.reset_stats()
    frame, slept = run_wait(client, ids, clock)
    assert len(frame) == 120 and frame["status"].isin(["READY", "FAILED"]).all()
    stats = sandbox.stats
    naive = len(slept) * 120  # every id every round
    assert stats.requests < naive / 5
    # each asset is fetched by id about once (when it finished); the rest is listing
    assert stats.by_route["get"] <= 120 + 10


def test_timeout_carries_the_last_frame(sandbox, client, clock):
    sandbox.configure(processing_seconds=(500.0, 500.0))
    ids = upload(client, 3)
    with pytest.raises(an.WaitTimeout) as info:
        run_wait(client, ids, clock, timeout=30)
    assert info.value.frame["id"].tolist() == ids
    assert (info.value.frame["status"] == "PROCESSING").all()
    assert "3 of 3 assets" in str(info.value)


def test_unknown_status_counts_as_not_finished(sandbox, client, clock):
    odd = str(uuid.uuid4())
    sandbox.add_asset(
        {
            "id": odd,
            "name": "odd",
            "type": "IMAGE",
            "status": "QUARANTINED",
            "createdAt": "2026-11-01T00:00:00Z",
        }
    )
    with pytest.raises(an.WaitTimeout):
        run_wait(client, [odd], clock, timeout=10)


def test_missing_asset_is_a_batch_error(sandbox, client, clock):
    with pytest.raises(an.BatchError) as info:
        run_wait(client, [str(uuid.uuid4())], clock)
    assert all(isinstance(e, an.AssetNotFound) for e in info.value.errors.values())


def test_transient_errors_are_ridden_out(sandbox, client, clock):
    ids = upload(client, 2)
    sandbox.respond_next(503, "<html>busy</html>", content_type="text/html", times=12)
    frame, _ = run_wait(client, ids, clock)
    assert frame["status"].isin(["READY", "FAILED"]).all()


def test_outage_then_recovery(sandbox, client, clock):
    ids = upload(client, 2)
    sandbox.stop()
    calls = {"n": 0}

    def sleep(seconds):
        calls["n"] += 1
        clock.advance(seconds)
        if calls["n"] == 3:
            sandbox.start()

    quick = sandbox.client(max_retries=0, timeout=(1, 1))
    frame = polling.wait(quick, ids, clock=clock, sleep=sleep, progress=False)
    assert frame["status"].isin(["READY", "FAILED"]).all()


def test_bad_timeout(client):
    with pytest.raises(an.InvalidArgument):
        client.wait([], timeout=-1)


def test_empty_ids_return_at_once(sandbox, client):
    sandbox.reset_stats()
    assert len(client.wait([])) == 0
    assert sandbox.stats.requests == 0


def test_a_ctrl_c_whose_exception_was_lost_still_stops(sandbox, client, clock, default_sigint):
    sandbox.configure(processing_seconds=(1000.0, 1000.0))
    ids = upload(client, 2)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        assert len(slept) < 3, "a lost Ctrl-C did not stop wait()"
        clock.advance(seconds)
        swallowed_ctrl_c()

    with pytest.raises(KeyboardInterrupt):
        polling.wait(client, ids, clock=clock, sleep=sleep, progress=False)
    assert len(slept) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_wait_in_a_thread_keeps_the_usual_ctrl_c(sandbox, client, clock, default_sigint):
    """Signal handlers belong to the main thread: wait() elsewhere leaves them alone."""
    ids = upload(client, 2)
    done = []
    thread = threading.Thread(target=lambda: done.append(run_wait(client, ids, clock)[0]))
    thread.start()
    thread.join(60)
    assert len(done) == 1 and done[0]["status"].isin(["READY", "FAILED"]).all()
