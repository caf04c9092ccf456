"""The sandbox's fault injection: what a hostile API does to a client, all off by default.

The plain server (``app``, ``store``, ``server``) answers as Argil documents; these modules
add what a user testing their own notebook needs to meet, as stripe-mock does: faults drawn at
random per request (``random_faults``), canned answers (``canned``), and the read and write
token buckets with the rate-limit headers that describe them (``ratelimit``); their options
are one immutable ``SandboxConfig`` (``config``). The live account (``live``) keeps
uploading, finishing and deleting assets in the store while a client works.
"""
