"""The sandbox's fault injection: what a hostile API does to a client, all off by default.

The plain server (``app``, ``store``, ``server``) answers as Argil documents; this folder adds
what a user testing their own notebook needs to meet, as stripe-mock does:

- ``stages``: ``Faults``, the stages ``App`` calls on an API request, in order (canned
  answer, latency, drop or stall, token bucket, random 429, churn, injected 5xx);
- ``random_faults``: the one random draw per request (drop, stall, 5xx error, 429);
- ``canned``: raw answers queued for the next matching requests (``Sandbox.respond_next``);
- ``ratelimit``: the read and write token buckets and the rate-limit headers describing them;
- ``live``: the live account, uploading, finishing and deleting assets while a client works;
- ``config``: ``SandboxConfig``, the options as one immutable value a request reads once.

The plain modules import this folder through the names below only.
"""

from .canned import canned_response
from .config import SandboxConfig, check_mode
from .live import LiveAccount, check_live_options
from .stages import Faults

__all__ = [
    "Faults",
    "LiveAccount",
    "SandboxConfig",
    "canned_response",
    "check_live_options",
    "check_mode",
]
