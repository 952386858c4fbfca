"""Checks that run before the resolver: size → authentication → content type → JSON syntax, so an
unauthenticated caller learns nothing about the schema and a rejected request never reaches code that writes."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from followup.api.auth import AuthenticationError, authenticate
from followup.api.errors import ApiError
from followup.api.schemas import ErrorField
from followup.api.services import services
from followup.core import clock

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
JSON_ROUTES = ("/interviews", "/preview")


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(400, "malformed_body", "body is not valid base64") from exc
    return body.encode("utf-8")


def _needs_credentials(method: str, path: str) -> bool:
    return any(path == route or path.startswith(route + "/") for route in JSON_ROUTES)


def guard_request(event: dict[str, Any]) -> None:
    """Reject oversized, wrongly typed, malformed or unauthenticated requests before any route runs."""
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "GET")).upper()
    path = str(event.get("rawPath") or "/")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    body = raw_body(event)
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"body exceeds {MAX_BODY_BYTES} bytes")
    if not _needs_credentials(method, path):
        return
    deps = services()
    try:
        authenticate(
            headers,
            body,
            api_key=deps.secrets.get(deps.settings.api_key_parameter),
            webhook_secret=deps.secrets.get(deps.settings.webhook_secret_parameter),
            now=clock.now(),
        )
    except AuthenticationError as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    if method in {"POST", "PATCH", "PUT"} and body:
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
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


def _expects_json_body(method: str, path: str) -> bool:
    if path in ("/interviews", "/preview"):
        return method == "POST"
    return path.endswith("/outcome") or method == "PATCH"
