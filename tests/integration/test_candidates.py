"""Many candidates, one deployment (README "Many candidates"): the operator's routes, each candidate's own
credentials and defaults, and isolation as a property — every interview route, the form pages and the listing,
driven with another candidate's credentials against the first one's ids, answer 404 and change nothing."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from followup.api.auth import sign
from followup.core import aws as followup_aws
from followup_local.cloud import LocalCloud, form_encode, in_process_cloud
from tests.conftest import load_example
from tests.integration.atomic_moto import atomic_dynamodb
from tests.integration.conftest import SUBMITTED_AT, distinct

pytestmark = pytest.mark.integration


def _operator(cloud: LocalCloud) -> dict[str, str]:
    return {"authorization": f"Bearer {cloud.operator_key}"}


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _create(cloud: LocalCloud, name: str, email: str, **profile: Any) -> dict[str, Any]:
    status, body = cloud.api("POST", "/candidates", {"name": name, "email": email, **profile}, headers=_operator(cloud))
    assert status == 201, body
    return body


def _without_candidate(payload: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(payload)
    document.pop("candidate")
    return document


def _form_key(candidate: dict[str, Any]) -> str:
    return parse_qs(urlsplit(candidate["form_url"]).query)["key"][0]


@pytest.fixture
def two(cloud: LocalCloud) -> tuple[dict[str, Any], dict[str, Any]]:
    alice = _create(cloud, "Alice Moreau", "alice@example.org", timezone="Europe/Paris", country="FR", tone="formal")
    bruno = _create(cloud, "Bruno Silva", "bruno@example.org", timezone="America/Sao_Paulo", country="BR")
    return alice, bruno


def test_the_operator_creates_a_candidate_whose_secrets_are_shown_once(cloud: LocalCloud) -> None:
    created = _create(cloud, "Alice Moreau", "alice@example.org", timezone="Europe/Paris")
    assert created["api_key"].startswith(f"fu_{created['candidate_id']}_")
    assert created["webhook_secret"].startswith("whsec_")
    assert "/form?key=" in created["form_url"]
    status, profile = cloud.api("GET", f"/candidates/{created['candidate_id']}", headers=_operator(cloud))
    assert status == 200
    assert profile["profile"] == {"name": "Alice Moreau", "email": "alice@example.org", "timezone": "Europe/Paris"}
    text = json.dumps(profile)
    for secret in (created["api_key"], created["webhook_secret"], _form_key(created)):
        assert secret not in text
    # Nothing in the table holds a credential: they are derived, never stored.
    dynamodb = cloud.session.client("dynamodb", region_name="us-east-1")
    table = cloud.provisioned.physical["FollowUpTable"]
    items = json.dumps(dynamodb.scan(TableName=table)["Items"])
    assert created["api_key"] not in items
    assert created["webhook_secret"] not in items


def test_bad_candidate_input_names_the_field_and_creates_nothing(cloud: LocalCloud) -> None:
    status, body = cloud.api(
        "POST",
        "/candidates",
        {"name": "A", "email": "not-an-address", "timezone": "Mars/Base"},
        headers=_operator(cloud),
    )
    assert status == 422
    assert {field["field"] for field in body["error"]["fields"]} == {"email", "timezone"}
    status, body = cloud.api(
        "POST", "/candidates", {"name": "A", "email": "a@example.org", "subdivision": "ON"}, headers=_operator(cloud)
    )
    assert status == 422, body
    assert body["error"]["fields"][0]["field"] == "subdivision"
    assert "country" in body["error"]["fields"][0]["message"]


def test_only_the_operator_manages_candidates_and_the_operator_acts_for_nobody(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bruno = two
    assert (
        cloud.api("POST", "/candidates", {"name": "X", "email": "x@example.org"}, headers=_bearer(alice["api_key"]))[0]
        == 403
    )
    assert cloud.api("POST", "/candidates", {"name": "X", "email": "x@example.org"})[0] == 403  # default key
    assert cloud.api("DELETE", f"/candidates/{bruno['candidate_id']}", headers=_bearer(alice["api_key"]))[0] == 403
    # A candidate reads their own profile, not another's.
    assert cloud.api("GET", f"/candidates/{alice['candidate_id']}", headers=_bearer(alice["api_key"]))[0] == 200
    assert cloud.api("GET", f"/candidates/{bruno['candidate_id']}", headers=_bearer(alice["api_key"]))[0] == 404
    # The operator key does not submit or read interviews.
    status, body = cloud.api("POST", "/interviews", load_example("interview.json"), headers=_operator(cloud))
    assert status == 403
    assert body["error"]["code"] == "operator_key"
    assert cloud.api("GET", "/interviews", headers=_operator(cloud))[0] == 403


def test_a_candidates_interview_is_completed_from_their_profile(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, _ = two
    payload = _without_candidate(load_example("interview.json"))
    payload["preferences"].pop("tone")
    status, accepted = cloud.api("POST", "/interviews", payload, headers=_bearer(alice["api_key"]))
    assert status == 202, accepted
    status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}", headers=_bearer(alice["api_key"]))
    assert status == 200
    assert view["interview"]["candidate"]["name"] == "Alice Moreau"
    assert view["interview"]["candidate"]["email"] == "alice@example.org"
    assert view["interview"]["candidate"]["timezone"] == "Europe/Paris"
    assert view["interview"]["preferences"]["tone"] == "formal"
    # Another email in the payload does not make the interview someone else's: the profile's address wins.
    other = distinct(load_example("interview.json"), 7)
    other["candidate"]["email"] = "someone.else@example.org"
    status, accepted = cloud.api("POST", "/interviews", other, headers=_bearer(alice["api_key"]))
    assert status == 202
    view = cloud.api("GET", f"/interviews/{accepted['interview_id']}", headers=_bearer(alice["api_key"]))[1]
    assert view["interview"]["candidate"]["email"] == "alice@example.org"


def test_a_signed_webhook_names_its_candidate(cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]) -> None:
    alice, bruno = two
    body = json.dumps(_without_candidate(load_example("interview.json"))).encode()
    now = int(cloud.clock.now().timestamp())
    digest = sign(alice["webhook_secret"], body, now).split("v1=")[1]
    headers = {
        "content-type": "application/json",
        "x-followup-signature": f"t={now},k={alice['candidate_id']},v1={digest}",
    }
    status, _, data = cloud.http("POST", "/interviews", body=body, headers=headers)
    assert status == 202, data
    interview_id = json.loads(data)["interview_id"]
    assert cloud.api("GET", f"/interviews/{interview_id}", headers=_bearer(alice["api_key"]))[0] == 200
    assert cloud.api("GET", f"/interviews/{interview_id}", headers=_bearer(bruno["api_key"]))[0] == 404
    # Alice's signature presented as Bruno's (k=) is refused, as is one without k= (the default secret's).
    for key_part in (f"k={bruno['candidate_id']},", ""):
        forged = {**headers, "x-followup-signature": f"t={now},{key_part}v1={digest}"}
        assert cloud.http("POST", "/interviews", body=body, headers=forged)[0] == 401


def test_get_interviews_lists_the_callers_own_newest_first_with_a_cursor(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bruno = two
    base = _without_candidate(load_example("interview.json"))
    ids = []
    for n in range(5):
        status, accepted = cloud.api("POST", "/interviews", distinct(base, n), headers=_bearer(alice["api_key"]))
        assert status == 202
        ids.append(accepted["interview_id"])
        cloud.advance(60)
    cloud.api("POST", "/interviews", distinct(base, 99), headers=_bearer(bruno["api_key"]))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/interviews?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = cloud.api("GET", path, headers=_bearer(alice["api_key"]))
        assert status == 200, page
        seen += [row["interview_id"] for row in page["interviews"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert pages >= 3
    first = cloud.api("GET", "/interviews?limit=2", headers=_bearer(alice["api_key"]))[1]
    row = first["interviews"][0]
    assert row["company"] == base["company"]["name"]
    assert row["status"] == "active"
    assert row["next_due_at"]
    # Alice's cursor is no use to Bruno, and a made-up one is a 400, never a 5xx.
    assert cloud.api("GET", f"/interviews?cursor={first['next_cursor']}", headers=_bearer(bruno["api_key"]))[0] == 400
    assert cloud.api("GET", "/interviews?cursor=%%%", headers=_bearer(alice["api_key"]))[0] == 400
    assert cloud.api("GET", "/interviews?limit=0", headers=_bearer(alice["api_key"]))[0] == 422
    # The default candidate's list holds none of theirs.
    status, default_page = cloud.api("GET", "/interviews")
    assert status == 200
    assert default_page["interviews"] == []


def _snapshot(cloud: LocalCloud, interview_id: str, key: str) -> tuple[Any, int, int]:
    view = cloud.api("GET", f"/interviews/{interview_id}", headers=_bearer(key))[1]
    return view, len(cloud.pending_schedules()), len(cloud.outbox.messages)


def test_isolation_every_route_and_page_with_another_candidates_credentials_is_404(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bruno = two
    status, accepted = cloud.api(
        "POST", "/interviews", _without_candidate(load_example("interview.json")), headers=_bearer(alice["api_key"])
    )
    assert status == 202
    target = accepted["interview_id"]
    before = _snapshot(cloud, target, alice["api_key"])
    body_outcome = json.dumps({"outcome": "rejected"}).encode()
    body_patch = json.dumps({"decision_expected_by": "2026-12-20"}).encode()
    now = int(cloud.clock.now().timestamp())

    def signed(body: bytes) -> dict[str, str]:
        digest = sign(bruno["webhook_secret"], body, now).split("v1=")[1]
        return {
            "x-followup-signature": f"t={now},k={bruno['candidate_id']},v1={digest}",
            "content-type": "application/json",
        }

    requests = [
        ("GET", f"/interviews/{target}", b""),
        ("POST", f"/interviews/{target}/outcome", body_outcome),
        ("PATCH", f"/interviews/{target}", body_patch),
        ("POST", f"/interviews/{target}/pause", b""),
        ("POST", f"/interviews/{target}/resume", b""),
        ("DELETE", f"/interviews/{target}", b""),
    ]
    checked = 0
    for credentials in ("api_key", "signature"):
        for method, path, body in requests:
            headers = (
                {"authorization": f"Bearer {bruno['api_key']}", "content-type": "application/json"}
                if credentials == "api_key"
                else signed(body)
            )
            now += 1  # a fresh signature each time (each is accepted once)
            status, _, data = cloud.http(method, path, body=body, headers=headers)
            assert status == 404, (credentials, method, path, data)
            checked += 1
    # The form pages: Bruno's form key on Alice's plan page.
    status, _, page = cloud.http("GET", f"/form/done/{target}?key={_form_key(bruno)}")
    assert status == 404
    assert b"Alice" not in page
    assert b"Analytical" not in page
    # Nothing changed, nothing was sent, no schedule went.
    cloud.advance(60)
    after = _snapshot(cloud, target, alice["api_key"])
    assert after[0]["follow_ups"] == before[0]["follow_ups"]
    assert after[1] == before[1]
    assert checked == 12


def test_every_item_and_schedule_of_a_candidates_interview_carries_their_id_in_its_key(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bruno = two
    ids = []
    for who in (alice, bruno):
        status, accepted = cloud.api(
            "POST", "/interviews", _without_candidate(load_example("interview.json")), headers=_bearer(who["api_key"])
        )
        assert status == 202
        ids.append(accepted["interview_id"])
    # The interview id names its candidate
    assert [i.split("-")[0] for i in ids] == [alice["candidate_id"], bruno["candidate_id"]]
    cloud.advance(3 * 86400)  # planned, scheduled, partly sent: items of every kind exist

    # Then every item that belongs to one of them has that candidate's id in its key, and so does every schedule.
    # Lookup items keyed by an outside identifier (SES's message id, the natural key's hash) point at the interview
    # id, which names the candidate.
    dynamodb = cloud.session.client("dynamodb", region_name="us-east-1")
    items = dynamodb.scan(TableName=cloud.provisioned.physical["FollowUpTable"])["Items"]
    checked = lookups = 0
    for item in items:
        key = item["pk"]["S"] + " " + item["sk"]["S"]
        text = json.dumps(item)
        for who, interview_id in zip((alice, bruno), ids, strict=True):
            if interview_id in text or item.get("owner", {}).get("S") == who["candidate_id"]:
                if key.startswith(("MSG#", "NK#")):
                    assert item["interview_id"]["S"] == interview_id
                    lookups += 1
                else:
                    assert who["candidate_id"] in key, key
                    checked += 1
    assert checked >= 2 * 5
    assert lookups >= 2
    names = [s["Name"] for s in cloud.pending_schedules()]
    assert names
    assert all(name.startswith((f"{alice['candidate_id']}-", f"{bruno['candidate_id']}-")) for name in names)

    # And Bruno's key on an id that names Alice is refused before anything is read, also with Bruno's own tail
    reads: list[str] = []
    client = followup_aws.client("dynamodb")

    def remember(params: dict[str, Any], **_: Any) -> None:
        reads.append(json.dumps(params))

    client.meta.events.register("before-parameter-build.dynamodb", remember, unique_id="test-reads")
    try:
        forged = f"{alice['candidate_id']}-{ids[1].split('-')[1]}"
        for path in (f"/interviews/{ids[0]}", f"/interviews/{forged}"):
            assert cloud.http("GET", path, headers=_bearer(bruno["api_key"]))[0] == 404
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", unique_id="test-reads")
    assert reads  # Bruno's key was checked (his profile read)
    assert [r for r in reads if alice["candidate_id"] in r] == []


def test_a_candidates_form_starts_from_their_profile_and_files_under_them(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bruno = two
    status, _, page = cloud.http("GET", f"/form?key={_form_key(alice)}")
    assert status == 200
    assert b'value="Alice Moreau"' in page
    assert b'value="alice@example.org"' in page
    fields = {
        "key": _form_key(alice),
        "company.name": "Fjord Analytics",
        "position.title": "Data Engineer",
        "interview.ended_at": "2026-11-24T15:00",
        "interviewers[0].name": "Ingrid Berg",
        "interviewers[0].email": "ingrid@fjord.example",
        "candidate.name": "Alice Moreau",
        "candidate.email": "alice@example.org",
        "candidate.timezone": "Europe/Paris",
    }
    status, headers, _ = cloud.http(
        "POST", "/form", body=form_encode(fields), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 303, headers
    interview_id = headers["location"].split("/form/done/")[1].split("?")[0]
    assert cloud.api("GET", f"/interviews/{interview_id}", headers=_bearer(alice["api_key"]))[0] == 200
    assert cloud.api("GET", f"/interviews/{interview_id}", headers=_bearer(bruno["api_key"]))[0] == 404
    assert cloud.api("GET", f"/interviews/{interview_id}")[0] == 404  # nor the default candidate's


def test_rotating_a_key_stops_the_old_one_at_once(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, _ = two
    status, fresh = cloud.api(
        "POST", f"/candidates/{alice['candidate_id']}/keys", {"rotate": ["api_key"]}, headers=_bearer(alice["api_key"])
    )
    assert status == 200, fresh
    assert fresh["api_key"] != alice["api_key"]
    assert fresh["webhook_secret"] == alice["webhook_secret"]  # not named, not rotated
    assert cloud.api("GET", "/interviews", headers=_bearer(alice["api_key"]))[0] == 401
    assert cloud.api("GET", "/interviews", headers=_bearer(fresh["api_key"]))[0] == 200
    status, body = cloud.api(
        "POST", f"/candidates/{alice['candidate_id']}/keys", {"rotate": ["password"]}, headers=_operator(cloud)
    )
    assert status == 422
    assert body["error"]["fields"][0]["field"] == "rotate"


def test_a_candidate_changes_their_profile_and_cannot_clear_their_email(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, _ = two
    path = f"/candidates/{alice['candidate_id']}"
    status, body = cloud.api("PATCH", path, {"preferred_name": "Ali", "tone": None}, headers=_bearer(alice["api_key"]))
    assert status == 200, body
    assert body["profile"]["preferred_name"] == "Ali"
    assert "tone" not in body["profile"]
    status, body = cloud.api("PATCH", path, {"email": None}, headers=_bearer(alice["api_key"]))
    assert status == 422
    status, body = cloud.api("PATCH", path, {"subdivision": "XX"}, headers=_bearer(alice["api_key"]))
    assert status == 422
    assert body["error"]["fields"][0]["field"] == "subdivision"
    assert cloud.api("GET", path, headers=_bearer(alice["api_key"]))[1]["profile"]["preferred_name"] == "Ali"


def test_deleting_a_candidate_removes_their_interviews_schedules_and_keys(
    cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    alice, bruno = two
    base = _without_candidate(load_example("interview.json"))
    for n in range(2):
        assert cloud.api("POST", "/interviews", distinct(base, n), headers=_bearer(alice["api_key"]))[0] == 202
    assert cloud.api("POST", "/interviews", base, headers=_bearer(bruno["api_key"]))[0] == 202
    bruno_schedules = len([s for s in cloud.pending_schedules()])
    status, _ = cloud.api("DELETE", f"/candidates/{alice['candidate_id']}", headers=_operator(cloud))
    assert status == 204
    assert cloud.api("GET", "/interviews", headers=_bearer(alice["api_key"]))[0] == 401
    assert cloud.api("GET", f"/candidates/{alice['candidate_id']}", headers=_operator(cloud))[0] == 404
    assert cloud.api("DELETE", f"/candidates/{alice['candidate_id']}", headers=_operator(cloud))[0] == 404
    dynamodb = cloud.session.client("dynamodb", region_name="us-east-1")
    items = json.dumps(dynamodb.scan(TableName=cloud.provisioned.physical["FollowUpTable"])["Items"])
    assert "alice@example.org" not in items
    # Bruno's interview is at the same company: nothing of Alice's names it (her tombstones keep no company).
    alice_items = [item for item in json.loads(items) if item.get("owner", {}).get("S") == alice["candidate_id"]]
    assert alice_items
    assert all("company" not in item and "position" not in item for item in alice_items), alice_items
    # Bruno's interview and schedules are untouched; nothing of Alice's is ever sent.
    page = cloud.api("GET", "/interviews", headers=_bearer(bruno["api_key"]))[1]
    assert len(page["interviews"]) == 1
    assert 0 < len(cloud.pending_schedules()) < bruno_schedules
    cloud.advance(30 * 86400)
    assert all("alice@example.org" not in json.dumps(m) for m in cloud.outbox.follow_ups())


@contextlib.contextmanager
def limited(interviews: int, emails: int) -> Iterator[LocalCloud]:
    """A deployment whose created candidates may submit `interviews` interviews and plan `emails` emails a day."""
    parameters = {"CandidateDailyInterviews": str(interviews), "CandidateDailyEmails": str(emails)}
    with atomic_dynamodb(), in_process_cloud(SUBMITTED_AT, parameters=parameters) as deployed:
        yield deployed


def test_a_candidate_past_their_daily_limit_gets_429_with_retry_after_and_nothing_is_stored() -> None:
    with limited(interviews=2, emails=100) as cloud:
        _past_the_interview_limit(cloud)


def _past_the_interview_limit(cloud: LocalCloud) -> None:
    alice = _create(cloud, "Alice Moreau", "alice@example.org")
    bruno = _create(cloud, "Bruno Silva", "bruno@example.org")
    base = _without_candidate(load_example("interview.json"))
    auth = {"authorization": f"Bearer {alice['api_key']}"}
    assert cloud.api("POST", "/interviews", distinct(base, 1), headers=auth)[0] == 202
    # A duplicate of an accepted interview is not a new one: it does not count.
    assert cloud.api("POST", "/interviews", distinct(base, 1), headers=auth)[0] == 202
    assert cloud.api("POST", "/interviews", distinct(base, 2), headers=auth)[0] == 202
    schedules = len(cloud.pending_schedules())
    body = json.dumps(distinct(base, 3)).encode()
    status, headers, data = cloud.http(
        "POST", "/interviews", body=body, headers={**auth, "content-type": "application/json"}
    )
    assert status == 429, data
    assert 0 < int(headers["retry-after"]) <= 86400
    assert json.loads(data)["error"]["code"] == "daily_limit"
    assert len(cloud.pending_schedules()) == schedules
    assert len(cloud.api("GET", "/interviews", headers=auth)[1]["interviews"]) == 2
    # Another candidate is not limited by Alice's day; Alice's interview goes through after the reset.
    other = {"authorization": f"Bearer {bruno['api_key']}"}
    assert cloud.api("POST", "/interviews", distinct(base, 3), headers=other)[0] == 202
    cloud.advance(int(headers["retry-after"]) + 1)
    assert cloud.api("POST", "/interviews", distinct(base, 3), headers=auth)[0] == 202
    # The deployment's own (default) candidate is never limited.
    for n in range(4):
        assert cloud.api("POST", "/interviews", distinct(load_example("interview.json"), 50 + n))[0] == 202


def test_the_planned_emails_count_against_the_day_too() -> None:
    with limited(interviews=20, emails=6) as cloud:
        _past_the_email_limit(cloud)


def _past_the_email_limit(cloud: LocalCloud) -> None:
    alice = _create(cloud, "Alice Moreau", "alice@example.org")
    auth = {"authorization": f"Bearer {alice['api_key']}"}
    panel_interview = _without_candidate(load_example("interview-panel.json"))
    status, body = cloud.api("POST", "/interviews", panel_interview, headers=auth)
    assert status == 202, body
    planned = len(body["follow_ups"])
    assert 0 < planned <= 6
    second = copy.deepcopy(panel_interview)
    second["position"]["title"] += " II"
    status, body = cloud.api("POST", "/interviews", second, headers=auth)
    assert planned * 2 > 6  # the example plans more than half the day's emails
    assert status == 429, body


def test_pause_and_resume_over_the_json_api(cloud: LocalCloud, two: tuple[dict[str, Any], dict[str, Any]]) -> None:
    alice, _ = two
    auth = {"authorization": f"Bearer {alice['api_key']}"}
    status, accepted = cloud.api(
        "POST", "/interviews", _without_candidate(load_example("interview.json")), headers=auth
    )
    assert status == 202
    path = f"/interviews/{accepted['interview_id']}"
    status, paused = cloud.api("POST", f"{path}/pause", headers=auth)
    assert status == 200, paused
    assert "thank_you-0" in paused["follow_up_ids"]
    listed = cloud.api("GET", "/interviews", headers=auth)[1]["interviews"]
    assert [row["status"] for row in listed] == ["paused"]
    assert cloud.api("POST", f"{path}/pause", headers=auth)[1]["follow_up_ids"] == []  # already paused
    sent = len(cloud.outbox.messages)
    cloud.advance(2 * 86400)
    assert len(cloud.outbox.messages) == sent
    status, resumed = cloud.api("POST", f"{path}/resume", headers=auth)
    assert status == 200
    assert set(resumed["follow_up_ids"]) == set(paused["follow_up_ids"])
    cloud.advance(2 * 86400)
    assert any(m["tags"].get("follow_up_id") == "thank_you-0" for m in cloud.outbox.follow_ups())


def test_the_operator_lists_candidates_newest_first_and_a_deleted_one_leaves_the_list(cloud: LocalCloud) -> None:
    made = []
    for n in range(3):
        made.append(_create(cloud, f"Candidate {n}", f"c{n}@example.org"))
        cloud.advance(60)
    status, page = cloud.api("GET", "/candidates", headers=_operator(cloud))
    assert status == 200
    assert [row["candidate_id"] for row in page["candidates"]] == [c["candidate_id"] for c in reversed(made)]
    assert page["candidates"][0]["name"] == "Candidate 2"
    assert "api_key" not in json.dumps(page)
    assert cloud.api("GET", "/candidates", headers=_bearer(made[0]["api_key"]))[0] == 403
    assert cloud.api("GET", "/candidates")[0] == 403  # the default candidate's key
    assert cloud.api("DELETE", f"/candidates/{made[1]['candidate_id']}", headers=_operator(cloud))[0] == 204
    page = cloud.api("GET", "/candidates", headers=_operator(cloud))[1]
    assert made[1]["candidate_id"] not in [row["candidate_id"] for row in page["candidates"]]
    # Renaming shows in the list; a candidate's own interview list never holds profiles.
    cloud.api("PATCH", f"/candidates/{made[0]['candidate_id']}", {"name": "Candidate Zero"}, headers=_operator(cloud))
    page = cloud.api("GET", "/candidates", headers=_operator(cloud))[1]
    assert "Candidate Zero" in [row["name"] for row in page["candidates"]]
    assert cloud.api("GET", "/interviews", headers=_bearer(made[0]["api_key"]))[1]["interviews"] == []
