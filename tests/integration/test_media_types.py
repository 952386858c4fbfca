"""Media types compare case-insensitively on every JSON route (hardening round two, item 6): `APPLICATION/JSON`
simply works, and no Powertools refusal ever leaves the contract's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from followup_local.cloud import LocalCloud
from tests.conftest import load_example

pytestmark = pytest.mark.integration

SPELLINGS = ("APPLICATION/JSON", "Application/JSON; Charset=UTF-8", 'application/Json;charset="utf-8"')


def _send(cloud: LocalCloud, method: str, path: str, payload: Any, content_type: str) -> tuple[int, Any]:
    status, _, data = cloud.http(
        method,
        path,
        body=json.dumps(payload).encode(),
        headers={"authorization": f"Bearer {cloud.api_key}", "Content-Type": content_type},
    )
    return status, json.loads(data) if data else None


@pytest.mark.parametrize("content_type", SPELLINGS)
def test_every_json_route_accepts_any_case_of_its_media_type(cloud: LocalCloud, content_type: str) -> None:
    # Given an interview submitted with an upper-case media type
    status, accepted = _send(cloud, "POST", "/interviews", load_example("interview.json"), content_type)
    assert status == 202, accepted
    interview_id = accepted["interview_id"]

    # Then preview, PATCH and outcome accept it too
    status, preview = _send(cloud, "POST", "/preview", load_example("interview.json"), content_type)
    assert status == 200, preview
    status, body = _send(
        cloud, "PATCH", f"/interviews/{interview_id}", {"decision_expected_by": "2026-12-18"}, content_type
    )
    assert status == 200, body
    status, body = _send(cloud, "POST", f"/interviews/{interview_id}/outcome", {"outcome": "offer"}, content_type)
    assert status == 200, body
    assert cloud.api("GET", f"/interviews/{interview_id}")[1]["interview"]["outcome"] == "offer"


def test_a_powertools_refusal_comes_out_in_the_contract_shape(cloud: LocalCloud) -> None:
    # Given a request the guard lets through but Powertools' body parser would refuse on its own
    from followup.api.app import app

    event = {
        "version": "2.0",
        "rawPath": "/preview",
        "rawQueryString": "",
        "headers": {"content-type": "application/vnd.unknown"},
        "requestContext": {"http": {"method": "POST", "path": "/preview"}, "stage": "$default"},
        "body": json.dumps(load_example("interview.json")),
        "isBase64Encoded": False,
    }

    # When the resolver alone handles it
    response = app.resolve(event, None)

    # Then it is a 415 in the contract's error shape, not Powertools' {"statusCode", "detail"}
    assert response["statusCode"] == 415
    assert json.loads(response["body"]) == {
        "error": {"code": "unsupported_media_type", "message": "Content-Type must be application/json", "fields": []}
    }
