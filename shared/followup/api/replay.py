"""A webhook signature is accepted once (README "The HTTP API"): the signature has no nonce, so within its ±300 s
window the same bytes could be sent again — a replay must never act twice.

The first request a signature authenticates records `(t, v1)` with one conditional put (`SIG#<sha256(t.v1)>` in
the follow-up table, kept an hour by TTL: well past the window). What a later request with the same signature
gets:
- the same request (method, path, query; the body is the signature's own) answered before → **the first answer**,
  byte for byte (`X-Followup-Replay: true` added) — a client that lost the answer can resend, and nothing happens
  twice; a read-only request (GET) is not kept, its replay is `409 signature_replayed`;
- another request (another interview's path, another method) → `409 signature_replayed`;
- the first request still running → `409 signature_in_use` (a crashed attempt is taken over after a 30 s lease).
A request the signature authenticated but that was refused (4xx) or failed (5xx) is forgotten: a rejected request
leaves nothing, and the retry of a failed one is accepted. Only signed JSON routes are concerned (the form and the
one-click links carry their own keys).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from followup.adapters.dynamodb import SIGNATURE_DONE
from followup.adapters.records import SignatureUse
from followup.api.auth import Credentials
from followup.api.errors import ApiError, lambda_error_response
from followup.api.services import services
from followup.core import clock

RECORD_LIFETIME = timedelta(hours=1)
LEASE = timedelta(seconds=30)  # ApiFunction's timeout: past it, an unfinished first use is dead
REPLAY_HEADER = "X-Followup-Replay"
READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})


def request_line(event: dict[str, Any]) -> str:
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    method = str(http.get("method", "GET") if isinstance(http, dict) else "GET").upper()
    return f"{method} {event.get('rawPath') or '/'}?{event.get('rawQueryString') or ''}"


def once_per_signature(
    event: dict[str, Any], credentials: Credentials | None, run: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run the request unless its signature was used before; see the module docstring for what a replay gets."""
    if credentials is None or credentials.signature is None:
        return run()
    table = services().table
    key = credentials.signature.replay_key
    request = request_line(event)
    now = clock.now()
    use = table.begin_signature_use(
        key, request=request, now=now, lease_until=now + LEASE, expires_at=now + RECORD_LIFETIME
    )
    if not use.started:
        return _replay(use, request)
    try:
        response = run()
    except BaseException:
        with contextlib.suppress(ClientError, BotoCoreError):
            table.forget_signature_use(key)
        raise
    status = int(response.get("statusCode", 200))
    if 200 <= status < 400:
        keep_body = request.split(" ", 1)[0] not in READ_ONLY and not response.get("isBase64Encoded")
        table.finish_signature_use(
            key,
            status=status,
            body=str(response.get("body") or "") if keep_body else None,
            headers={str(k): str(v) for k, v in (response.get("headers") or {}).items()},
        )
    else:
        table.forget_signature_use(key)
    return response


def _replay(use: SignatureUse, request: str) -> dict[str, Any]:
    if use.request != request:
        return lambda_error_response(
            ApiError(409, "signature_replayed", "this signature was already used for another request; sign each anew")
        )
    if use.state == SIGNATURE_DONE and use.status is not None and use.body is not None:
        return {
            "statusCode": use.status,
            "headers": {**use.headers, REPLAY_HEADER: "true"},
            "body": use.body,
            "isBase64Encoded": False,
        }
    if use.state == SIGNATURE_DONE:
        return lambda_error_response(
            ApiError(409, "signature_replayed", "this signature was already used; sign each request anew")
        )
    return lambda_error_response(
        ApiError(409, "signature_in_use", "a request with this signature is still being processed")
    )


__all__ = ["REPLAY_HEADER", "once_per_signature", "request_line"]
