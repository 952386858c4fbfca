"""The whole ApiFunction fuzzed on its headers and bodies (hardening round two, item 6): whatever the credentials,
media type or body, the answer is never a 5xx and always in the contract's shape; a refused request writes
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.api.auth import sign
from followup_local.cloud import LocalCloud, http_event, in_process_cloud, match_route
from tests.conftest import load_example
from tests.integration.conftest import SUBMITTED_AT
from tests.integration.test_hostile_input import Observed, _observe, assert_error_shape

pytestmark = pytest.mark.integration

KNOWN_ID = "0" * 22
SAMPLE = json.dumps(load_example("interview.json")).encode()
ROUTES = [
    ("POST", "/preview"),
    ("POST", "/interviews"),
    ("POST", f"/interviews/{KNOWN_ID}/outcome"),
    ("PATCH", f"/interviews/{KNOWN_ID}"),
    ("DELETE", f"/interviews/{KNOWN_ID}"),
    ("GET", f"/interviews/{KNOWN_ID}"),
]


@pytest.fixture(scope="module")
def deployment() -> Iterator[Observed]:
    with in_process_cloud(SUBMITTED_AT) as deployed:
        yield _observe(deployed)


def _media_types() -> st.SearchStrategy[str]:
    spellings = st.sampled_from(["application/json", "APPLICATION/JSON", "Application/Json", "text/plain", ""])
    parameters = st.sampled_from(["", "; charset=utf-8", "; Charset=UTF-8", "; charset=latin-1", ";", "; x"])
    return st.builds(lambda t, p: t + p, spellings, parameters) | st.text(max_size=30)


def _bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(SAMPLE),
        st.just(b'{"outcome": "offer"}'),
        st.just(b'{"decision_expected_by": "2026-12-18"}'),
        st.binary(max_size=64),
        st.text(max_size=64).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4).map(
            lambda d: json.dumps(d).encode()
        ),
    )


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    credential=st.sampled_from(["bearer", "signed", "bad-signature", "odd-signature", "none", "both"]),
    odd_signature=st.sampled_from(["t=²,v1=00", "t=١٧٩٦,v1=ab", "t=1,v1=" + "é" * 64, "v1=,t=", "t=\ud800"])
    | st.text(max_size=40),
    content_type=_media_types(),
    body=_bodies(),
)
def test_any_headers_and_body_get_an_answer_in_the_contract_and_never_a_5xx(
    deployment: Observed, route: tuple[str, str], credential: str, odd_signature: str, content_type: str, body: bytes
) -> None:
    cloud: LocalCloud = deployment.cloud
    method, path = route
    if method in {"GET", "DELETE"}:
        body = b""
    timestamp = int(cloud.clock.now().timestamp())
    headers: dict[str, str] = {"content-type": content_type}
    if credential in {"bearer", "both"}:
        headers["authorization"] = f"Bearer {cloud.api_key}"
    if credential in {"signed", "both"}:
        headers["x-followup-signature"] = sign(cloud.webhook_secret, body, timestamp)
    if credential == "bad-signature":
        headers["x-followup-signature"] = sign("not-the-secret", body, timestamp)
    if credential == "odd-signature":
        headers["x-followup-signature"] = odd_signature
    match = match_route(cloud.routes, method, path)
    assert match is not None
    event = http_event(
        method,
        path,
        body=body,
        headers=headers,
        route_key=match.route_key,
        path_parameters=match.path_parameters,
        now=cloud.clock.now(),
    )
    before = deployment.written()

    response: dict[str, Any] = cloud.runtime.invoke("ApiFunction", event)
    cloud.run_until_idle()

    status = int(response["statusCode"])
    assert status < 500, response
    if status >= 400:
        assert_error_shape(str(response.get("body") or "").encode())
        assert deployment.written() == before
