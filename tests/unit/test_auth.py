"""Request authentication: Bearer API key or HMAC-SHA256 signature over `<t>.<raw body>` within ±300 s."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from followup.api.auth import (
    SIGNATURE_TOLERANCE_SECONDS,
    AuthenticationError,
    authenticate,
    sign,
    verify_bearer,
    verify_signature,
)

NOW = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
T = int(NOW.timestamp())
SECRET = "whsec-test-secret"
API_KEY = "api-key-0123456789"
BODY = b'{"candidate": {"name": "Ada"}}'


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _flip_last(digest: str) -> str:
    return digest[:-1] + ("1" if digest.endswith("0") else "0")


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    assert sign(SECRET, BODY, T) == f"t={T},v1={_digest(SECRET, BODY, T)}"


def test_tolerance_is_300_seconds() -> None:
    assert SIGNATURE_TOLERANCE_SECONDS == 300


@pytest.mark.parametrize("skew", [-300, -1, 0, 1, 300])
def test_signature_inside_the_window_verifies(skew: int) -> None:
    verify_signature(sign(SECRET, BODY, T + skew), BODY, SECRET, now=NOW)


@pytest.mark.parametrize("skew", [-400, -301, 301, 400, -86400])
def test_signature_outside_the_window_is_refused(skew: int) -> None:
    with pytest.raises(AuthenticationError, match="300 second window"):
        verify_signature(sign(SECRET, BODY, T + skew), BODY, SECRET, now=NOW)


def test_window_is_checked_against_now_not_the_signature() -> None:
    header = sign(SECRET, BODY, T)
    verify_signature(header, BODY, SECRET, now=NOW + timedelta(seconds=300))
    with pytest.raises(AuthenticationError):
        verify_signature(header, BODY, SECRET, now=NOW + timedelta(seconds=301))


@pytest.mark.parametrize(
    ("header", "body", "secret"),
    [
        (sign("other-secret", BODY, T), BODY, SECRET),
        (sign(SECRET, BODY + b" ", T), BODY, SECRET),
        (sign(SECRET, b"", T), BODY, SECRET),
        (f"t={T},v1={_digest(SECRET, BODY, T - 1)}", BODY, SECRET),  # digest of another timestamp
        (f"t={T},v1={_flip_last(_digest(SECRET, BODY, T))}", BODY, SECRET),
        (f"t={T},v1={_digest(SECRET, BODY, T)[:32]}", BODY, SECRET),
        (f"t={T},v1={_digest(SECRET, BODY, T)}00", BODY, SECRET),
    ],
    ids=["other-secret", "other-body", "empty-body", "other-timestamp", "one-hex-changed", "truncated", "extended"],
)
def test_signature_that_does_not_match_is_refused(header: str, body: bytes, secret: str) -> None:
    with pytest.raises(AuthenticationError, match="does not match"):
        verify_signature(header, body, secret, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "t=,v1=",
        f"v1={_digest(SECRET, BODY, T)}",
        f"t={T}",
        f"t=now,v1={_digest(SECRET, BODY, T)}",
        f"t=-{T},v1={_digest(SECRET, BODY, T)}",
        f"t={T}.5,v1={_digest(SECRET, BODY, T)}",
        f"t={'9' * 13},v1={_digest(SECRET, BODY, T)}",
        f"t={T},v0={_digest(SECRET, BODY, T)}",
        f"t={T};v1={_digest(SECRET, BODY, T)}",
    ],
    ids=[
        "empty",
        "garbage",
        "empty-parts",
        "no-timestamp",
        "no-digest",
        "word-timestamp",
        "negative-timestamp",
        "fractional-timestamp",
        "13-digit-timestamp",
        "unknown-version",
        "semicolon-separated",
    ],
)
def test_malformed_signature_header_is_refused(header: str) -> None:
    with pytest.raises(AuthenticationError):
        verify_signature(header, BODY, SECRET, now=NOW)


def test_any_matching_v1_is_accepted_for_secret_rotation() -> None:
    header = f"t={T},v1={_digest('old-secret', BODY, T)},v1={_digest(SECRET, BODY, T)}"
    verify_signature(header, BODY, SECRET, now=NOW)


def test_hex_case_and_spaces_around_parts_do_not_matter() -> None:
    verify_signature(f" t={T} , v1={_digest(SECRET, BODY, T).upper()} ", BODY, SECRET, now=NOW)


@pytest.mark.parametrize(
    "header", [f"Bearer {API_KEY}", f"bearer {API_KEY}", f"BEARER {API_KEY}", f"Bearer {API_KEY} "]
)
def test_bearer_with_the_api_key_is_accepted(header: str) -> None:
    verify_bearer(header, API_KEY)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        f"Bearer {API_KEY[:-1]}",
        f"Bearer {API_KEY}x",
        f"Bearer {API_KEY.upper()}",
        f"Basic {API_KEY}",
        f"Token {API_KEY}",
        API_KEY,
        f"Bearer{API_KEY}",
    ],
    ids=[
        "empty",
        "scheme-only",
        "scheme-and-space",
        "wrong",
        "prefix",
        "extended",
        "wrong-case-key",
        "basic",
        "token",
        "no-scheme",
        "no-space",
    ],
)
def test_bearer_with_anything_else_is_refused(header: str) -> None:
    with pytest.raises(AuthenticationError):
        verify_bearer(header, API_KEY)


def test_non_ascii_bearer_token_is_refused_not_crashing() -> None:
    with pytest.raises(AuthenticationError):
        verify_bearer("Bearer ключ", API_KEY)


def test_authenticate_reports_which_credential_was_used() -> None:
    keys = {"api_key": API_KEY, "webhook_secret": SECRET, "now": NOW}
    assert authenticate({"authorization": f"Bearer {API_KEY}"}, BODY, **keys) == "api_key"
    assert authenticate({"x-followup-signature": sign(SECRET, BODY, T)}, BODY, **keys) == "signature"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": ""},
        {"x-followup-signature": ""},
        {"authorization": f"Bearer {SECRET}"},  # the webhook secret is not an API key
        {"x-followup-signature": sign(API_KEY, BODY, T)},  # nor the API key a webhook secret
        {"authorization": "Bearer wrong", "x-followup-signature": sign(SECRET, BODY, T)},
    ],
    ids=["none", "empty-authorization", "empty-signature", "secret-as-key", "key-as-secret", "wrong-key-good-sig"],
)
def test_authenticate_refuses(headers: dict[str, str]) -> None:
    with pytest.raises(AuthenticationError):
        authenticate(headers, BODY, api_key=API_KEY, webhook_secret=SECRET, now=NOW)


def test_authenticate_refuses_a_forged_signature_next_to_a_valid_key() -> None:
    headers = {"authorization": f"Bearer {API_KEY}", "x-followup-signature": sign("forged", BODY, T)}
    with pytest.raises(AuthenticationError):
        authenticate(headers, BODY, api_key=API_KEY, webhook_secret=SECRET, now=NOW)


def test_error_messages_never_contain_the_secrets() -> None:
    messages = []
    for headers in ({}, {"authorization": "Bearer wrong"}, {"x-followup-signature": sign("x", BODY, T)}):
        try:
            authenticate(headers, BODY, api_key=API_KEY, webhook_secret=SECRET, now=NOW)
        except AuthenticationError as exc:
            messages.append(str(exc))
    assert len(messages) == 3
    assert all(API_KEY not in m and SECRET not in m and _digest(SECRET, BODY, T) not in m for m in messages)


def test_comparisons_go_through_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: object, b: object) -> bool:
        calls.append((a, b))
        return real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(hmac, "compare_digest", spy)
    verify_bearer(f"Bearer {API_KEY}", API_KEY)
    assert calls == [(API_KEY.encode(), API_KEY.encode())]
    calls.clear()
    verify_signature(sign(SECRET, BODY, T), BODY, SECRET, now=NOW)
    assert calls == [(_digest(SECRET, BODY, T), _digest(SECRET, BODY, T))]
