"""Checks that run before the resolver: size → authentication → content type → JSON syntax, so an
unauthenticated caller learns nothing about the schema and a rejected request never reaches code that writes.

Media types compare case-insensitively (`Application/JSON; Charset=UTF-8` is JSON): the guard rewrites the
`content-type` header to its canonical lower-case form, so Powertools' own body parsing agrees with it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

from followup.api.auth import AuthenticationError, Credentials, KeyRing, identify
from followup.api.errors import ApiError
from followup.api.schemas import ErrorField
from followup.api.services import services
from followup.core import clock

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
JSON_ROUTES = ("/interviews", "/preview", "/candidates")
JSON_MEDIA_TYPE = "application/json"
# JSON is UTF-8 (RFC 8259); a charset parameter, when given, must say so.
JSON_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})


def signature_now() -> datetime:
    """The instant the webhook signature window is measured against: real time (the signer is outside the
    pipeline). On AWS that is the clock; the local stack, whose clock may be virtual, swaps in real time here."""
    return clock.now()


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise ApiError(400, "malformed_body", "body is not text")
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(400, "malformed_body", "body is not valid base64") from exc
    # surrogatepass: a lone surrogate becomes bytes that are not UTF-8, refused below as malformed JSON.
    return body.encode("utf-8", "surrogatepass")


def _needs_credentials(method: str, path: str) -> bool:
    return any(path == route or path.startswith(route + "/") for route in JSON_ROUTES)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def request_headers(event: dict[str, Any]) -> dict[str, str]:
    """The request's headers with lower-case names (HTTP API v2 already lower-cases them; tests may not)."""
    return {str(k).lower(): str(v) for k, v in _mapping(event.get("headers")).items()}


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """`Application/JSON; Charset="UTF-8"` → (`application/json`, {"charset": "UTF-8"}): type and parameter names
    lower-cased (RFC 9110: case-insensitive), parameter values kept (a multipart boundary is case-sensitive)."""
    media_type, *parts = value.split(";")
    parameters: dict[str, str] = {}
    for part in parts:
        name, _, raw = part.partition("=")
        if name.strip():
            parameters[name.strip().lower()] = raw.strip().strip('"')
    return media_type.strip().lower(), parameters


def normalise_content_type(event: dict[str, Any]) -> None:
    """Rewrite the event's Content-Type with a lower-case media type, so every consumer reads the same value."""
    headers = event.get("headers")
    if not isinstance(headers, dict):
        return
    names = [name for name in headers if isinstance(name, str) and name.lower() == "content-type"]
    if not names:
        return
    media_type, parameters = parse_media_type(str(headers[names[-1]]))
    for name in names:
        del headers[name]
    headers["content-type"] = "; ".join([media_type, *(f"{key}={value}" for key, value in parameters.items())])


def _check_json_media_type(headers: dict[str, str]) -> None:
    media_type, parameters = parse_media_type(headers.get("content-type", ""))
    if media_type != JSON_MEDIA_TYPE:
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    charset = parameters.get("charset")
    if charset is not None and charset.lower() not in JSON_CHARSETS:
        raise ApiError(415, "unsupported_media_type", "JSON bodies must be UTF-8 (charset=utf-8)")


def guard_request(event: dict[str, Any], ring: KeyRing | None = None) -> Credentials | None:
    """Reject oversized, wrongly typed, malformed or unauthenticated requests before any route runs.

    Returns the credentials a JSON route's request proved (None for the form and link routes, which carry their
    own keys)."""
    http = _mapping(_mapping(event.get("requestContext")).get("http"))
    method = str(http.get("method", "GET")).upper()
    path = str(event.get("rawPath") or "/")
    headers = request_headers(event)
    body = raw_body(event)
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"body exceeds {MAX_BODY_BYTES} bytes")
    normalise_content_type(event)
    if not _needs_credentials(method, path):
        return None
    try:
        credentials = identify(headers, body, ring or services().keyring(), now=signature_now())
    except AuthenticationError as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    if method in {"POST", "PATCH", "PUT"} and body:
        _check_json_media_type(headers)
    if method in {"POST", "PATCH", "PUT"} and _expects_json_body(method, path):
        if not body.strip():
            raise ApiError(400, "malformed_body", "request body is empty; send a JSON object")
        if json_depth(body) > MAX_JSON_DEPTH:
            raise ApiError(400, "malformed_json", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            json.loads(body)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, >4300-digit integers
            raise ApiError(400, "malformed_json", f"body is not valid JSON: {str(exc)[:200]}") from None
        if method in {"POST", "PATCH"} and not body.lstrip().startswith(b"{"):
            raise ApiError(
                422, "invalid_fields", "body must be a JSON object", [ErrorField(field="", message="must be an object")]
            )
    return credentials


def json_depth(body: bytes) -> int:
    """Deepest nesting of brackets outside strings, counted without recursion (so hostile depth cannot crash)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


_PATCHABLE = re.compile(r"^/(interviews|candidates)/[^/]+$")


def _expects_json_body(method: str, path: str) -> bool:
    """Whether this route takes a JSON object (a method the path does not take gets its 405 from the resolver)."""
    if path in ("/interviews", "/preview", "/candidates"):
        return method == "POST"
    if method == "PATCH":
        return bool(_PATCHABLE.match(path))
    return method == "POST" and path.startswith("/interviews/") and path.endswith("/outcome")
