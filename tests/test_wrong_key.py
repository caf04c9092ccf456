"""A wrong key: one AuthenticationError from every call, whatever its size, after a handful of
requests (today's main sent every request of a batch and raised BatchError for 9 ids,
AuthenticationError for 10, and wait() wrapped it in BatchError)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

import argil_nb as an
from argil_nb.sandbox import Sandbox

IDS = [str(uuid.UUID(int=i + 1, version=4)) for i in range(100)]
URLS = [f"https://media.example.com/key/clip-{i:02d}.mp4" for i in range(40)]
CALLS: dict[str, Callable[[an.Client], Any]] = {
    "get_assets of 9": lambda c: c.get_assets(IDS[:9], progress=False),
    "get_assets of 10": lambda c: c.get_assets(IDS[:10], progress=False),
    "get_assets of 100": lambda c: c.get_assets(IDS, errors="coerce", progress=False),
    "list_assets": lambda c: c.list_assets(progress=False),
    "wait": lambda c: c.wait(IDS[:30], timeout=30, progress=False),
    "create_assets": lambda c: c.create_assets(URLS, journal=False, progress=False),
}


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=2, initial_assets=300) as box:
        yield box


@pytest.mark.parametrize("call", list(CALLS))
def test_every_call_raises_one_authentication_error_naming_the_variable(sb, call):
    with an.Client(api_key="sk-wrong", base_url=sb.base_url, max_workers=8) as client:
        sb.reset_stats()
        with pytest.raises(an.AuthenticationError) as info:
            CALLS[call](client)
    assert "ARGIL_API_KEY" in str(info.value)
    refused = sb.stats.responses.get(401, 0)
    assert 1 <= refused <= client.max_workers + 3, refused  # the first, and those in flight
    assert sb.stats.requests == refused  # nothing got past the key
