"""The embedded Argil-compatible assets API: ``with Sandbox() as sb: sb.base_url``.

Standard library only, and nothing from the client side of ``argil_nb`` (``Sandbox.client``
imports it lazily): the client is tested against this server, so they share no code.

Routes (``base_url = http://127.0.0.1:PORT/v1``, header ``x-api-key`` required):

- ``GET /v1/assets/{id}``: 200 Asset, 404, 400 for an id that is not a UUID;
- ``POST /v1/assets``: JSON ``{name, type: IMAGE|VIDEO, url}`` -> 201 Asset, PROCESSING;
- ``GET /v1/assets``: repeatable ``type`` and ``status`` (default READY), ``page``,
  ``pageSize`` (1-100) -> a bare array, newest first, with ``X-Total-Count``, ``X-Page``,
  ``X-Page-Size`` and ``X-Total-Pages`` headers;
- ``DELETE /v1/assets/{id}``: 204, 404, 400;
- ``GET /files/{id}.png`` and ``/files/{id}/thumbnail.png`` (no key): PNGs of READY assets.

Errors are ``{"code": status, "message": ...}`` (401, 404, 405 with Allow for any other
method, 429 with Retry-After, 5xx). Processing runs on an injectable clock. Seeded assets
are reproducible; upload ids differ between instances unless ``upload_id_salt`` is given.
The contract is ``openapi.yaml`` beside this file.

The plain server reads on its own: ``server`` (bytes in and out), ``app`` (the request
path: classify, authenticate, route), ``store`` (records, processing, pages). The fault
injection, for users testing their own notebooks against a hostile API, is the folder
``faults/``, off by default: read and write token buckets (optionally described by IETF or
X- rate-limit headers), latency, errors, dropped or stalled connections, canned responses,
and the live account (uploads arriving and finishing, deletions, while a client works); see
``Sandbox`` for its options.
"""

from ._sandbox import Sandbox
from .faults import SandboxConfig
from .stats import StatsSnapshot

__all__ = ["Sandbox", "SandboxConfig", "StatsSnapshot"]
