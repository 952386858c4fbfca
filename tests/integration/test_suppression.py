"""A bounced address stays stopped: later interviews never schedule mail to it."""

from __future__ import annotations

import copy

import pytest

from followup_local.cloud import LocalCloud
from tests.conftest import load_event, load_example

pytestmark = pytest.mark.integration


def test_after_a_permanent_bounce_a_new_interview_to_that_address_is_suppressed_at_planning(
    cloud: LocalCloud,
) -> None:
    # Given Grace's address bounced permanently on an earlier thank-you
    _, first = cloud.api("POST", "/interviews", load_example("interview.json"))
    cloud.advance(18 * 3600)
    sent = next(m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0")
    bounce = copy.deepcopy(load_event("feedback/bounce-permanent.json"))
    bounce["detail"]["mail"]["messageId"] = sent["message_id"]
    bounce["detail"]["mail"]["tags"] = {
        "interview_id": [first["interview_id"]],
        "follow_up_id": ["thank_you-0"],
        "kind": ["thank_you"],
        "ses:configuration-set": [cloud.provisioned.physical["ConfigurationSet"]],
    }
    cloud.runtime.invoke("FeedbackFunction", bounce)
    cloud.run_until_idle()

    # When a new interview (the next round) with Grace and Alan is submitted
    panel = load_example("interview-panel.json")
    panel["interview"].update(started_at="2026-11-25T13:00:00-05:00", ended_at="2026-11-25T15:00:00-05:00")
    status, second = cloud.api("POST", "/interviews", panel)
    assert status == 202

    # Then everything to Grace is stored suppressed with no schedule; Alan's thank-you is scheduled as usual
    _, view = cloud.api("GET", f"/interviews/{second['interview_id']}")
    statuses = {f["id"]: (f["to"], f["status"]) for f in view["follow_ups"]}
    assert {fid for fid, (to, st) in statuses.items() if to == "grace@ae.example"} == {
        fid for fid, (_, st) in statuses.items() if st == "suppressed"
    }
    assert statuses["thank_you-1"] == ("alan@ae.example", "scheduled")
    names = {s["Name"] for s in cloud.pending_schedules() if s["Name"].startswith(second["interview_id"])}
    assert names == {f"{second['interview_id']}-thank_you-1"}
    assert "suppressed" in [e["event"] for e in view["timeline"]]
    cloud.advance(40 * 86400)
    assert not [
        m
        for m in cloud.outbox.follow_ups()
        if m["tags"].get("interview_id") == second["interview_id"] and "grace" in m["to"][0]
    ]
