"""Hostile input (issue 5, item 3): every bad request → the right 4xx in the contract's error shape, never a 5xx, and
nothing written anywhere; template syntax and markup in valid free text come out literally and escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

import pytest

from followup.core import aws
from followup_local.cloud import LocalCloud, http_event, in_process_cloud, match_route
from tests.integration.conftest import SUBMITTED_AT
from tests.integration.hostile_corpus import (
    BASE,
    CORPUS,
    FREE_TEXT_FIELDS,
    TEMPLATE_AND_MARKUP,
    HostileCase,
    set_field,
)

pytestmark = pytest.mark.integration

EVENTBRIDGE_ENTRY_LIMIT = 256 * 1024
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@dataclass
class Observed:
    """The deployment plus a count of the API's PutEvents calls (its only write besides the idempotency table)."""

    cloud: LocalCloud
    put_events: list[dict[str, Any]]

    def written(self) -> dict[str, int]:
        """How much exists in every place a request could write to."""
        physical = self.cloud.provisioned.physical
        dynamodb = self.cloud.session.client("dynamodb", region_name=self.cloud.provisioned.region)
        queue = self.cloud.sqs.get_queue_attributes(
            QueueUrl=physical["SendQueue"], AttributeNames=["ApproximateNumberOfMessages"]
        )
        return {
            "follow_up_items": _count(dynamodb, physical["FollowUpTable"]),
            "idempotency_items": _count(dynamodb, physical["IdempotencyTable"]),
            "schedules": len(self.cloud.scheduler.list_schedules(GroupName=physical["ScheduleGroup"])["Schedules"]),
            "bus_events": len(self.put_events),
            "send_queue_messages": int(queue["Attributes"]["ApproximateNumberOfMessages"]),
            "emails": len(self.cloud.outbox.messages),
        }


def _count(dynamodb: Any, table: str) -> int:
    """Every item, across pages: one Scan page stops at 1 MB, and the corpus writes some very large items."""
    total, kwargs = 0, {"TableName": table, "Select": "COUNT"}
    while True:
        page = dynamodb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _observe(cloud: LocalCloud) -> Observed:
    observed = Observed(cloud=cloud, put_events=[])

    def count(params: dict[str, Any], **_: Any) -> None:
        observed.put_events.extend(params["Entries"])

    # The handler's own cached client: every InterviewSubmitted the API emits passes through this hook.
    aws.client("events").meta.events.register(
        "before-parameter-build.events.PutEvents", count, unique_id="hostile-input-put-events"
    )
    return observed


@pytest.fixture(scope="module")
def deployment() -> Iterator[Observed]:
    """One moto deployment for the whole corpus: a rejected request leaves it unchanged, so cases can share it."""
    with in_process_cloud(SUBMITTED_AT) as deployed:
        yield _observe(deployed)


def _headers(cloud: LocalCloud, case: HostileCase) -> dict[str, str]:
    headers = {"authorization": f"Bearer {cloud.api_key}", "content-type": "application/json"}
    headers.update({name.lower(): value for name, value in case.headers.items()})
    for name in case.drop_headers:
        headers.pop(name, None)
    return headers


def send(cloud: LocalCloud, case: HostileCase) -> tuple[int, dict[str, str], bytes]:
    """The case through ApiFunction; an exception escaping the handler is what Lambda turns into a 500."""
    headers = _headers(cloud, case)
    body = case.request_body()
    try:
        if case.event_patch is None and not case.direct:
            return cloud.http(case.method, case.path, body=body, headers=headers)
        match = match_route(cloud.routes, case.method, case.path)
        event = http_event(
            case.method,
            case.path,
            body=body,
            headers=headers,
            route_key=match.route_key if match else f"{case.method} {case.path}",
            path_parameters=match.path_parameters if match else None,
            now=cloud.clock.now(),
        )
        event.update(case.event_patch or {})
        response = cloud.runtime.invoke("ApiFunction", event)
        cloud.run_until_idle()
        response_headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
        return int(response["statusCode"]), response_headers, str(response.get("body") or "").encode()
    except Exception as exc:  # RecursionError, OverflowError, ...: an unhandled error in the function
        return 500, {}, f"{type(exc).__name__}: {exc}".encode()[:500]


def assert_error_shape(data: bytes) -> dict[str, Any]:
    """`{"error": {"code", "message", "fields": [{"field", "message"}]}}` and nothing else."""
    body = json.loads(data)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], list)
    for item in error["fields"]:
        assert set(item) == {"field", "message"}, item
        assert isinstance(item["field"], str)
        assert isinstance(item["message"], str)
        assert item["message"]
    return error


def _param(case: HostileCase) -> Any:
    return pytest.param(case, id=f"{case.category}:{case.id}")


def test_the_corpus_is_large_and_its_ids_are_unique() -> None:
    assert len(CORPUS) >= 100
    assert len({case.id for case in CORPUS}) == len(CORPUS)
    assert {case.status for case in CORPUS} >= {400, 404, 413, 415, 422}


@pytest.mark.parametrize("case", [_param(case) for case in CORPUS])
def test_hostile_request_gets_its_4xx_and_writes_nothing(deployment: Observed, case: HostileCase) -> None:
    # Given the deployment as it is before the request
    before = deployment.written()

    # When the hostile request arrives
    status, headers, data = send(deployment.cloud, case)

    # Then it is refused with the promised status, in the contract's error shape, and never with a 5xx
    assert status < 500, data[:300]
    assert status in (case.status, *case.also), data[:300]
    assert headers.get("content-type", "").startswith("application/json")
    error = assert_error_shape(data)
    if status != case.status:
        assert error["code"], error
    elif case.code:
        assert error["code"] == case.code, error
    if case.field is not None and status == case.status:
        assert case.field in [item["field"] for item in error["fields"]], error
    # And nothing was written anywhere
    assert deployment.written() == before


@pytest.mark.parametrize("path", FREE_TEXT_FIELDS)
def test_template_syntax_and_markup_in_free_text_render_literally_and_escaped(deployment: Observed, path: str) -> None:
    # Given a valid interview whose free-text field holds Jinja syntax, a script tag and an entity
    payload = set_field(path, TEMPLATE_AND_MARKUP)
    before = deployment.written()

    # When it is previewed
    status, body = deployment.cloud.api("POST", "/preview", payload)

    # Then it is valid, every message is plain data: nothing evaluated, nothing unescaped in HTML
    assert status == 200, body
    messages = body["follow_ups"]
    assert messages
    for message in messages:
        for part in ("subject", "text", "html"):
            assert "49" not in message[part], (message["id"], part)
            assert "{% if 1 %}jinja" in message[part] or "jinja" not in message[part], (message["id"], part)
        html = message["html"].lower()
        assert "<script" not in html, message["id"]
        assert "<b>" not in html, message["id"]
        if "alert(1)" in html:
            assert ESCAPED_SCRIPT in message["html"], message["id"]
        assert "\r" not in message["subject"]
        assert "\n" not in message["subject"]
    # And where the field is shown, it is shown verbatim (text) and escaped (HTML)
    shown = [m for m in messages if TEMPLATE_AND_MARKUP in m["text"]]
    for message in shown:
        assert "{{ 7*7 }}" in message["html"], message["id"]
        assert ESCAPED_SCRIPT in message["html"], message["id"]
        assert "&amp;amp;" in message["html"], message["id"]
    assert deployment.written() == before


def test_every_free_text_field_is_shown_verbatim_somewhere(deployment: Observed) -> None:
    """Guards the test above: a field nobody renders would make its assertions vacuous."""
    not_shown = []
    for path in FREE_TEXT_FIELDS:
        status, body = deployment.cloud.api("POST", "/preview", set_field(path, TEMPLATE_AND_MARKUP))
        assert status == 200, body
        shown = any(TEMPLATE_AND_MARKUP in message["text"] for message in body["follow_ups"])
        # A topic, skill or story that cannot stand in its slot is left out, and the warnings say so, by field.
        refused = any(warning.startswith(f"{path}: left out") for warning in body["warnings"])
        if not shown and not refused:
            not_shown.append(path)
    # Names are shortened to a first name in greetings and notes are for the candidate only; all else is shown whole.
    assert set(not_shown) <= {"candidate.name", "interviewers[0].name", "next_steps.notes"}, not_shown


def test_hostile_names_and_markup_never_reach_a_header_unsanitised(deployment: Observed) -> None:
    # Given a valid interview whose names try to smuggle addresses and encoded words into headers
    cloud = deployment.cloud
    events_before = len(deployment.put_events)
    payload = json.loads(json.dumps(BASE))
    payload["candidate"]["name"] = '"Eve" <eve@evil.example>, Mallory =?utf-8?q?Bcc:_eve@evil.example?='
    payload["interviewers"][0]["name"] = "Grace <grace@evil.example>; Bcc: eve@evil.example"
    payload["company"]["name"] = "Analytical {{ 7*7 }} <script>alert(1)</script>"
    payload["position"]["title"] = "Engineer %0d%0aBcc: eve@evil.example"

    # When it is submitted and every follow-up comes due
    status, accepted = cloud.api("POST", "/interviews", payload)
    assert status == 202, accepted
    cloud.advance(40 * 86400)

    # Then every email went to exactly its own recipient, replies to the candidate, single-line subject
    sent = [m for m in cloud.outbox.follow_ups() if m["tags"].get("interview_id") == accepted["interview_id"]]
    assert len(sent) == len(accepted["follow_ups"])
    allowed = {"grace@ae.example", "ada@example.com"}
    for mail in sent:
        for header in ("to", "cc", "bcc", "reply_to", "from"):
            values = mail[header] if isinstance(mail[header], list) else [mail[header]]
            addresses = [address for _, address in getaddresses(values)]
            assert len(addresses) == len(values), (header, values)
            if header != "from":
                assert set(addresses) <= allowed, (header, values)
        assert "\r" not in mail["subject"]
        assert "\n" not in mail["subject"]
        assert "49" not in mail["subject"]
        # (signed links carry random base64, which may hold "49" by chance: only the words count)
        assert "49" not in re.sub(r"https?://\S+", "", mail["text"])
        assert all("\r" not in v and "\n" not in v for v in mail["headers"].values())
        assert "<script" not in mail["html"].lower()
    assert len(deployment.put_events) == events_before + 1


def test_a_valid_payload_at_every_limit_in_four_byte_characters_is_planned(deployment: Observed) -> None:
    # Given the largest valid interview, every text at its maximum length in 4-byte characters (emoji)
    cloud = deployment.cloud
    events_before, dead_before = len(deployment.put_events), len(cloud.dead_letters)
    emoji = "\U0001f600"
    payload = json.loads(json.dumps(BASE))
    payload["candidate"].update(name=emoji * 120, signature=emoji * 500)
    payload["company"]["name"] = emoji * 200
    payload["position"]["title"] = emoji * 200
    payload["interviewers"] = [
        {
            "name": emoji * 120,
            "email": f"person{n}@ae.example",
            "title": emoji * 200,
            "primary_contact": n == 0,
            "topics": [emoji * 200] * 10,
            "linkedin_url": "https://www.linkedin.com/in/" + "x" * 470,
            "mailing_address": emoji * 300,
        }
        for n in range(12)
    ]
    payload["highlights"] = {"skills": [emoji * 120] * 10, "experience": emoji * 1000, "why_fit": emoji * 1000}
    payload["next_steps"]["notes"] = emoji * 1000
    payload["preferences"]["work_samples"] = ["https://github.com/ada/" + "y" * 470] * 10

    # When it is submitted as UTF-8 (about 160 KB; \u-escaped it would pass the 256 KiB body limit)
    status, accepted = cloud.api("POST", "/interviews", json.dumps(payload, ensure_ascii=False).encode())

    # Then it is accepted, its event fits EventBridge, and the planner stored it with its schedules
    assert status == 202, accepted
    entries = deployment.put_events[events_before:]
    assert [len(entry["Detail"].encode()) <= EVENTBRIDGE_ENTRY_LIMIT for entry in entries] == [True]
    assert len(cloud.dead_letters) == dead_before
    status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert status == 200, view
    names = [s["Name"] for s in cloud.pending_schedules() if s["Name"].startswith(accepted["interview_id"])]
    assert len(names) == len(accepted["follow_ups"])


def test_the_write_probe_sees_what_an_accepted_submission_writes(deployment: Observed) -> None:
    """Guards the corpus test: `written()` must notice a real write, else "nothing written" proves nothing."""
    cloud = deployment.cloud
    before = deployment.written()
    status, accepted = cloud.api("POST", "/interviews", BASE, headers={"Idempotency-Key": "write-probe-1"})
    assert status == 202, accepted
    after = deployment.written()
    assert after["follow_up_items"] > before["follow_up_items"]
    assert after["idempotency_items"] == before["idempotency_items"] + 1
    assert after["schedules"] == before["schedules"] + len(accepted["follow_ups"])
    assert after["bus_events"] == before["bus_events"] + 1

    # And the same key with another body is a 409 in the contract's shape that writes nothing more
    other = set_field("position.title", "Principal Data Engineer")
    status, _, data = cloud.http(
        "POST",
        "/interviews",
        body=json.dumps(other).encode(),
        headers={
            "authorization": f"Bearer {cloud.api_key}",
            "content-type": "application/json",
            "idempotency-key": "write-probe-1",
        },
    )
    assert status == 409, data
    assert assert_error_shape(data)["code"] == "idempotency_key_reused"
    assert deployment.written() == after
