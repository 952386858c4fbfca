"""The form's one-time token (hardening round two, item 2): a form posted again — double click, the browser's
resubmit, Back and submit, even edited — lands on the plan of its first submission; one interview either way."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from followup_local.cloud import LocalCloud, form_encode, http_event
from tests.integration.test_duplicates import assert_one_interview_one_email_each, interview_items

pytestmark = pytest.mark.integration

TOKEN = re.compile(rb'name="form_token" value="([A-Za-z0-9_-]+)"')
DONE = re.compile(r"^/form/done/([0-9a-f]{22})\?key=")


def fields(cloud: LocalCloud, token: str, **changes: str) -> dict[str, str]:
    values = {
        "key": cloud.form_key,
        "form_token": token,
        "candidate.name": "Ada Lovelace",
        "candidate.email": "ada@example.com",
        "company.name": "Analytical Engines Ltd",
        "company.timezone": "America/New_York",
        "company.country": "US",
        "position.title": "Senior Data Engineer",
        "interview.ended_at": "2026-11-24T15:00",
        "interviewers[0].name": "Grace Hopper",
        "interviewers[0].email": "grace@ae.example",
    }
    values.update(changes)
    return values


def post(cloud: LocalCloud, values: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return cloud.http(
        "POST", "/form", body=form_encode(values), headers={"content-type": "application/x-www-form-urlencoded"}
    )


def form_token(cloud: LocalCloud) -> str:
    status, _, page = cloud.http("GET", f"/form?key={cloud.form_key}")
    assert status == 200
    match = TOKEN.search(page)
    assert match, "the form carries no one-time token"
    return match.group(1).decode()


def submitted_id(response: tuple[int, dict[str, str], bytes]) -> str:
    status, headers, page = response
    assert status == 303, page[:300]
    match = DONE.match(headers["location"])
    assert match, headers["location"]
    return match.group(1)


def test_each_rendering_of_the_form_has_a_new_token(cloud: LocalCloud) -> None:
    assert form_token(cloud) != form_token(cloud)


def test_a_form_posted_twice_lands_on_the_first_plan(cloud: LocalCloud) -> None:
    token = form_token(cloud)
    first = submitted_id(post(cloud, fields(cloud, token)))
    again = submitted_id(post(cloud, fields(cloud, token)))
    assert again == first
    status, _, page = cloud.http("GET", f"/form/done/{first}?key={cloud.form_key}")
    assert status == 200
    assert b"Grace Hopper" in page


def test_back_edit_and_submit_again_lands_on_the_first_plan_too(cloud: LocalCloud) -> None:
    token = form_token(cloud)
    first = submitted_id(post(cloud, fields(cloud, token)))
    edited = submitted_id(post(cloud, fields(cloud, token, **{"position.title": "Staff Data Engineer"})))
    assert edited == first
    assert interview_items(cloud) == [first]


def test_a_double_click_posting_the_form_twice_at_once_is_one_interview(cloud: LocalCloud) -> None:
    token = form_token(cloud)
    event = http_event(
        "POST",
        "/form",
        body=form_encode(fields(cloud, token)),
        headers={"content-type": "application/x-www-form-urlencoded"},
        route_key="POST /form",
        now=cloud.clock.now(),
    )
    with ThreadPoolExecutor(max_workers=3) as pool:
        raw = list(pool.map(lambda _: cloud.runtime.invoke("ApiFunction", json.loads(json.dumps(event))), range(3)))
    cloud.run_until_idle()
    responses = [(int(r["statusCode"]), {k.lower(): v for k, v in r["headers"].items()}, b"") for r in raw]
    ids = {submitted_id(response) for response in responses}
    assert len(ids) == 1
    interview_id = ids.pop()
    _, view = cloud.api("GET", f"/interviews/{interview_id}")
    assert_one_interview_one_email_each(cloud, interview_id, [{"id": f["id"]} for f in view["follow_ups"]])


def test_the_form_filled_in_again_by_hand_meets_the_natural_key(cloud: LocalCloud) -> None:
    first = submitted_id(post(cloud, fields(cloud, form_token(cloud))))
    again = submitted_id(post(cloud, fields(cloud, form_token(cloud))))
    assert again == first
    assert interview_items(cloud) == [first]


def test_an_invalid_form_keeps_its_token_when_shown_again(cloud: LocalCloud) -> None:
    token = form_token(cloud)
    status, _, page = post(cloud, fields(cloud, token, **{"interviewers[0].email": "grâce@ae.example"}))
    assert status == 422
    assert f'name="form_token" value="{token}"'.encode() in page
    assert b"SES cannot send" in page
    fixed = submitted_id(post(cloud, fields(cloud, token)))
    assert interview_items(cloud) == [fixed]


def test_a_form_without_a_token_still_works(cloud: LocalCloud) -> None:
    values = fields(cloud, "")
    del values["form_token"]
    first = submitted_id(post(cloud, values))
    assert submitted_id(post(cloud, values)) == first
