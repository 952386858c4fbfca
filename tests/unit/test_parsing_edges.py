"""Parsing edges (hardening round two, item 6): ASCII-only digits and hex in the signature header, media types
compared case-insensitively, and a hypothesis fuzz of the auth header parser and the guards — only the expected
refusal ever comes out, never another exception (which Lambda would turn into a 500)."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.api import guards
from followup.api.auth import (
    AuthenticationError,
    StaticKeyRing,
    authenticate,
    authenticate_request,
    sign,
    verify_signature,
)
from followup.api.errors import ApiError
from followup.api.guards import guard_request, normalise_content_type, parse_media_type

NOW = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
T = int(NOW.timestamp())
SECRET = "whsec-test-secret"
API_KEY = "api-key-0123456789"
BODY = b'{"candidate": {"name": "Ada"}}'
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _digest(timestamp: int = T, body: bytes = BODY) -> str:
    return sign(SECRET, body, timestamp).split("v1=", 1)[1]


@pytest.mark.parametrize(
    "timestamp",
    ["²", "١٧٩٦", "𝟏𝟕𝟗𝟔", "\u0661\u0662", "①", f"{T}²", "٣" * 10, "0x10", "+1796", " 1796", "1_796", "1e9"],
)
def test_non_ascii_or_non_decimal_timestamp_is_a_401_not_a_crash(timestamp: str) -> None:
    with pytest.raises(AuthenticationError):
        verify_signature(f"t={timestamp},v1={_digest()}", BODY, SECRET, now=NOW)


@pytest.mark.parametrize("digest", ["00", "zz", "é" * 64, "٠" * 64, "ａ" * 64, "\ud800", "0" * 200, ""])
def test_odd_digests_never_crash_the_comparison(digest: str) -> None:
    with pytest.raises(AuthenticationError):
        verify_signature(f"t={T},v1={digest}", BODY, SECRET, now=NOW)


def test_the_verified_signature_names_the_matching_digest_whatever_else_the_header_says() -> None:
    plain = verify_signature(sign(SECRET, BODY, T), BODY, SECRET, now=NOW)
    noisy = verify_signature(f" t={T} , v1={'ab' * 32}, v1={_digest().upper()} ", BODY, SECRET, now=NOW)
    assert plain == noisy
    assert plain.replay_key == noisy.replay_key
    assert plain.replay_key != verify_signature(sign(SECRET, BODY, T + 1), BODY, SECRET, now=NOW).replay_key


def test_a_lone_surrogate_in_a_bearer_token_is_a_401() -> None:
    with pytest.raises(AuthenticationError):
        authenticate({"authorization": "Bearer \ud800"}, BODY, api_key=API_KEY, webhook_secret=SECRET, now=NOW)


def test_authenticate_request_carries_the_signature_only_when_signed() -> None:
    keys: dict[str, Any] = {"api_key": API_KEY, "webhook_secret": SECRET, "now": NOW}
    assert authenticate_request({"authorization": f"Bearer {API_KEY}"}, BODY, **keys).signature is None
    signed = authenticate_request({"x-followup-signature": sign(SECRET, BODY, T)}, BODY, **keys)
    assert signed.kind == "signature"
    assert signed.signature is not None
    assert signed.signature.timestamp == T


@pytest.mark.parametrize(
    ("value", "media_type", "parameters"),
    [
        ("application/json", "application/json", {}),
        ("APPLICATION/JSON", "application/json", {}),
        ("Application/JSON; Charset=UTF-8", "application/json", {"charset": "UTF-8"}),
        ('application/json ;charset="utf-8"', "application/json", {"charset": "utf-8"}),
        ("multipart/form-data; boundary=AbC", "multipart/form-data", {"boundary": "AbC"}),
        ("", "", {}),
    ],
)
def test_media_types_parse_case_insensitively_and_keep_parameter_values(
    value: str, media_type: str, parameters: dict[str, str]
) -> None:
    assert parse_media_type(value) == (media_type, parameters)


def test_the_event_content_type_is_rewritten_in_canonical_form() -> None:
    event: dict[str, Any] = {"headers": {"Content-Type": "Application/JSON; Charset=UTF-8", "x": "y"}}
    normalise_content_type(event)
    assert event["headers"] == {"x": "y", "content-type": "application/json; charset=UTF-8"}


# -- the guards, fuzzed ---------------------------------------------------------------------------------------------


@pytest.fixture
def fake_services(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {"api": API_KEY, "webhook": SECRET}
    deps = SimpleNamespace(
        settings=SimpleNamespace(api_key_parameter="api", webhook_secret_parameter="webhook"),
        secrets=SimpleNamespace(get=secrets.__getitem__),
        keyring=lambda: StaticKeyRing(API_KEY, SECRET),
    )
    monkeypatch.setattr(guards, "services", lambda: deps)
    monkeypatch.setattr(guards.clock, "now", lambda: NOW)


def _run_guard(event: dict[str, Any]) -> None:
    status = 200
    try:
        guard_request(event)
    except ApiError as exc:
        status = exc.status
    assert status < 500, status


_text = st.text(max_size=40)
_header_value = st.one_of(
    _text,
    st.sampled_from(["application/json", "APPLICATION/JSON", "Application/JSON; Charset=UTF-8", "text/plain"]),
    st.builds(lambda t, d: f"t={t},v1={d}", st.one_of(st.integers(-(10**14), 10**14).map(str), _text), _text),
    st.just(f"Bearer {API_KEY}"),
    st.just(sign(SECRET, BODY, T)),
)
_headers = st.dictionaries(
    st.sampled_from(["authorization", "x-followup-signature", "content-type", "Content-Type", "idempotency-key"])
    | _text,
    _header_value,
    max_size=5,
)
_bodies = st.one_of(st.just(BODY.decode()), st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.hex()))


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "post", ""]) | _text,
    path=st.sampled_from(["/interviews", "/preview", "/interviews/x/outcome", "/form", "/a/x", "/"]) | _text,
    headers=_headers,
    body=_bodies,
    encoded=st.booleans(),
)
def test_fuzzed_guard_only_ever_refuses_with_a_4xx(
    fake_services: None, method: str, path: str, headers: dict[str, str], body: str, encoded: bool
) -> None:
    event: dict[str, Any] = {
        "rawPath": path,
        "headers": dict(headers),
        "requestContext": {"http": {"method": method}},
        "body": base64.b64encode(body.encode("utf-8", "surrogatepass")).decode() if encoded else body,
        "isBase64Encoded": encoded,
    }
    _run_guard(event)


@FUZZ
@given(
    event=st.fixed_dictionaries(
        {},
        optional={
            "rawPath": st.one_of(st.none(), _text, st.integers()),
            "headers": st.one_of(st.none(), _headers, st.lists(_text), _text),
            "requestContext": st.one_of(
                st.none(),
                _text,
                st.fixed_dictionaries({"http": st.one_of(st.none(), _text, st.dictionaries(_text, _text))}),
            ),
            "body": st.one_of(st.none(), _text, st.integers(), st.lists(st.integers())),
            "isBase64Encoded": st.one_of(st.booleans(), _text),
        },
    )
)
def test_fuzzed_event_shapes_never_escape_the_guard(fake_services: None, event: dict[str, Any]) -> None:
    _run_guard(event)


@FUZZ
@given(header=st.one_of(_text, _header_value), body=st.binary(max_size=64), with_key=st.booleans())
def test_fuzzed_auth_headers_only_ever_raise_authentication_error(header: str, body: bytes, with_key: bool) -> None:
    headers = {"x-followup-signature": header}
    if with_key:
        headers["authorization"] = header
    with contextlib.suppress(AuthenticationError):
        authenticate(headers, body, api_key=API_KEY, webhook_secret=SECRET, now=NOW)


def test_the_guard_accepts_a_json_body_under_any_case_of_its_media_type(fake_services: None) -> None:
    for content_type in ("APPLICATION/JSON", "Application/Json; Charset=UTF-8", 'application/json; charset="utf-8"'):
        event = {
            "rawPath": "/interviews",
            "headers": {"authorization": f"Bearer {API_KEY}", "Content-Type": content_type},
            "requestContext": {"http": {"method": "POST"}},
            "body": json.dumps({"a": 1}),
        }
        guard_request(event)
        assert event["headers"]["content-type"].startswith("application/json")


@pytest.mark.parametrize("content_type", ["application/json; charset=latin-1", "application/jsonp", "text/json"])
def test_the_guard_refuses_json_in_another_charset_or_type(fake_services: None, content_type: str) -> None:
    event = {
        "rawPath": "/interviews",
        "headers": {"authorization": f"Bearer {API_KEY}", "content-type": content_type},
        "requestContext": {"http": {"method": "POST"}},
        "body": "{}",
    }
    with pytest.raises(ApiError) as raised:
        guard_request(event)
    assert raised.value.status == 415
