"""The reference interview through the whole in-process chain, N of them for timing, and the floor.

Timing choice: only the time *inside handler invocations* counts for the pipeline. The emulator's own work
(ListSchedules/GetSchedule polling, the router queues, the queue poller, building API Gateway events) stands in
for AWS services that cost the pipeline nothing in time, so it is left out. The floor replays, on a fresh moto
with the same clients and hooks, exactly the minimal calls for the same work, with the very parameters the
pipeline sent (renamed per interview): PutEvents, the plan's TransactWriteItems and 4 CreateSchedule, then per
email the claim UpdateItem, SendEmail and a plain mark-sent UpdateItem. So both sides pay the same moto cost per
call, and the ratio is what the handlers add on top: validation, planning, rendering, logging, metrics, and any
call beyond the minimum. Both sides run with `cheap_moto_transactions` (moto's whole-table copy per transaction item
is an emulator cost that grows with the table, not the pipeline's).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.harness import (
    PACER_WAITS,
    ByteCounter,
    Call,
    CallRecorder,
    HandlerTimer,
    Invocation,
    captured_handler_output,
    cheap_moto_transactions,
    fresh_cloud,
    handler_clients,
)

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_EXAMPLE = ROOT / "examples" / "interview-panel.json"
PAST_EVERY_FOLLOW_UP_S = 60 * 86400


def load_reference_payload() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE_EXAMPLE.read_text())
    return data


@dataclass
class ReferenceRun:
    """One reference interview on a fresh moto, from a cold handler state: every call and invocation."""

    interview_id: str
    accepted: dict[str, Any]
    calls: list[Call]
    invocations: list[Invocation]
    outbox: list[dict[str, Any]]
    items: list[dict[str, Any]]
    first_request_events: dict[str, dict[str, Any]]
    memory_mb: dict[str, int]
    parameters: dict[str, str]

    def stored_bytes(self) -> int:
        from bench.prices import dynamodb_item_size

        return sum(dynamodb_item_size(item) for item in self.items)


def _sqs_record(body: str, arn: str) -> dict[str, Any]:
    return {
        "messageId": "bench-0",
        "receiptHandle": "bench",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def _first_request_events(cloud: Any, payload: dict[str, Any], calls: list[Call]) -> dict[str, dict[str, Any]]:
    """Real-shaped first events for each function, for the cold-start children (they stop at the first call)."""
    from followup_local.cloud import http_event

    api = http_event(
        "POST",
        "/interviews",
        body=json.dumps(payload).encode(),
        headers={"authorization": "Bearer bench", "content-type": "application/json"},
        route_key="POST /interviews",
        now=cloud.clock.now(),
    )
    entry = next(c for c in calls if c.operation == "PutEvents").params["Entries"][0]
    planner = {
        "version": "0",
        "id": "bench",
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": "123456789012",
        "time": "2026-11-24T21:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }
    schedule = next(c for c in calls if c.operation == "CreateSchedule").params
    sender = {"Records": [_sqs_record(schedule["Target"]["Input"], schedule["Target"]["Arn"])]}
    feedback = _delivery(calls)
    return {"ApiFunction": api, "PlannerFunction": planner, "SenderFunction": sender, "FeedbackFunction": feedback}


def _delivery(calls: list[Call]) -> dict[str, Any]:
    """SES's `Email Delivered` event (the most frequent feedback event) for the reference's first email."""
    from bench.coldstart import DUMMY_ENVIRONMENT

    event: dict[str, Any] = json.loads((ROOT / "events" / "feedback" / "delivery.json").read_text())
    send = next(c for c in calls if c.operation == "SendEmail")
    message_id = str((send.parsed or {}).get("MessageId", event["detail"]["mail"]["messageId"]))
    mail = event["detail"]["mail"]
    mail["messageId"] = mail["commonHeaders"]["messageId"] = message_id
    mail["tags"].update({tag["Name"]: [tag["Value"]] for tag in send.params.get("EmailTags", [])})
    mail["tags"]["ses:configuration-set"] = [DUMMY_ENVIRONMENT["SES_CONFIGURATION_SET"]]
    return event


def _table_items(cloud: Any) -> list[dict[str, Any]]:
    # The emulator's own client (not counted): what the interview leaves stored.
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    table = cloud.provisioned.physical["FollowUpTable"]
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = dynamodb.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run_reference(payload: dict[str, Any]) -> ReferenceRun:
    """One interview, submitted then carried past every follow-up, each schedule fired at its own due time."""
    with fresh_cloud() as cloud:
        clients = handler_clients()
        recorder = CallRecorder().attach(clients)
        sink = ByteCounter()
        timer = HandlerTimer(recorder, sink)
        timer.install(cloud.runtime)
        with captured_handler_output(sink):
            status, accepted = cloud.api("POST", "/interviews", payload)
            if status != 202:
                raise RuntimeError(f"reference interview refused: {status} {accepted}")
            cloud.advance(PAST_EVERY_FOLLOW_UP_S)
        recorder.detach(clients)
        outbox = cloud.outbox.as_json()  # the candidate's copies included: SES sends (and bills) them too
        sent = cloud.outbox.follow_ups()
        if len(sent) != len(accepted["follow_ups"]):
            raise RuntimeError(f"expected {len(accepted['follow_ups'])} emails, outbox has {len(sent)}")
        memory = {
            fid: int(cloud.template.function(fid).properties.get("MemorySize", 128))
            for fid in ("ApiFunction", "PlannerFunction", "SenderFunction", "FeedbackFunction")
        }
        return ReferenceRun(
            interview_id=str(accepted["interview_id"]),
            accepted=accepted,
            calls=recorder.calls,
            invocations=timer.invocations,
            outbox=outbox,
            items=_table_items(cloud),
            first_request_events=_first_request_events(cloud, payload, recorder.calls),
            memory_mb=memory,
            parameters=dict(cloud.provisioned.parameters),
        )


@dataclass
class PipelineRun:
    interviews: int
    handler_seconds: float
    invocations: list[Invocation]
    calls: list[Call]
    emails: int
    pacer_waits: int = 0
    pacer_wait_seconds: float = 0.0  # counted, not slept (bench.harness.waits_not_slept)

    def per_function(self) -> dict[str, dict[str, Any]]:
        """Mean per invocation, and invocations per interview, for each function."""
        out: dict[str, dict[str, Any]] = {}
        for fid in sorted({i.function for i in self.invocations}):
            mine = [i for i in self.invocations if i.function == fid]
            calls: dict[str, float] = {}
            for invocation in mine:
                for service, count in invocation.calls_by_service.items():
                    calls[service] = calls.get(service, 0) + count / len(mine)
            out[fid] = {
                "invocations_per_interview": len(mine) / self.interviews,
                "mean_ms": 1000 * statistics.fmean(i.seconds for i in mine),
                "mean_cpu_ms": 1000 * statistics.fmean(i.seconds - i.aws_seconds for i in mine),
                "calls_per_invocation": calls,
                "log_bytes_per_invocation": statistics.fmean(i.log_bytes for i in mine),
            }
        return out


def run_pipeline(payload: dict[str, Any], interviews: int) -> PipelineRun:
    """`interviews` reference interviews: submitted, planned, then every schedule fired at its due time and its
    message fed to the sender alone (as at low volume, one record per invocation)."""
    from followup_local.cloud import parse_at_expression

    with fresh_cloud() as cloud, cheap_moto_transactions():
        clients = handler_clients()
        recorder = CallRecorder().attach(clients)
        sink = ByteCounter()
        timer = HandlerTimer(recorder, sink)
        timer.install(cloud.runtime)
        waited, waits = PACER_WAITS.seconds, PACER_WAITS.waits
        with captured_handler_output(sink):
            for number in range(interviews):
                # Distinct interviews (the same one submitted twice is one interview): a candidate each.
                candidate = {**payload["candidate"], "email": f"candidate{number}@example.com"}
                status, accepted = cloud.api("POST", "/interviews", {**payload, "candidate": candidate})
                if status != 202:
                    raise RuntimeError(f"interview refused: {status} {accepted}")
            for schedule in cloud.pending_schedules():
                due = parse_at_expression(schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"])
                cloud.clock.move_to(due)
                cloud.fire_schedule(schedule)
                cloud.drain_queues()
        recorder.detach(clients)
        emails = len(cloud.outbox.follow_ups())
        if emails != 4 * interviews:
            raise RuntimeError(f"expected {4 * interviews} emails, outbox has {emails}")
        return PipelineRun(
            interviews,
            timer.seconds(),
            timer.invocations,
            recorder.calls,
            emails,
            pacer_waits=PACER_WAITS.waits - waits,
            pacer_wait_seconds=PACER_WAITS.seconds - waited,
        )


# -- the floor ----------------------------------------------------------------------------------------------------


@dataclass
class FloorPlan:
    """The minimal calls of one interview, as parameter templates taken from the reference run."""

    interview_id: str
    put_events: dict[str, Any]
    stores: list[dict[str, Any]]  # the natural-key claim (API), then the plan (planner): both are needed
    schedules: list[dict[str, Any]]
    emails: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (claim, send)

    @classmethod
    def from_calls(cls, interview_id: str, calls: list[Call]) -> FloorPlan:
        put = next(c.params for c in calls if c.operation == "PutEvents")
        # Every transaction before the first schedule: the API's natural-key claim and the planner's store.
        first_schedule = next(i for i, c in enumerate(calls) if c.operation == "CreateSchedule")
        stores = [c.params for c in calls[:first_schedule] if c.operation == "TransactWriteItems"]
        schedules = [c.params for c in calls if c.operation == "CreateSchedule"]
        claims = [c.params for c in calls if c.operation == "UpdateItem" and c.params.get("ReturnValues") == "ALL_NEW"]
        # The floor sends the messages; the candidate's copies are a product choice the pipeline pays for on top.
        sends = [
            c.params
            for c in calls
            if c.operation == "SendEmail" and {"Name": "kind", "Value": "copy"} not in c.params.get("EmailTags", [])
        ]
        if not (len(claims) == len(sends) == len(schedules)):
            raise RuntimeError("reference run does not have one claim and one send per schedule")
        return cls(interview_id, put, stores, schedules, list(zip(claims, sends, strict=True)))

    def renamed(self, new_id: str) -> FloorPlan:
        text = json.dumps({"p": self.put_events, "s": self.stores, "c": self.schedules, "e": self.emails}).replace(
            self.interview_id, new_id
        )
        # Each interview has its own natural key (candidate, company, position, end): one per floor interview too.
        text = re.sub(r"NK#[0-9a-f]+", f"NK#{new_id}", text)
        data = json.loads(text)
        return FloorPlan(new_id, data["p"], data["s"], data["c"], [tuple(pair) for pair in data["e"]])  # type: ignore[misc]


def _mark_sent(claim: Mapping[str, Any], message_id: str, now: str) -> dict[str, Any]:
    return {
        "TableName": claim["TableName"],
        "Key": claim["Key"],
        "UpdateExpression": "SET #s = :sent, message_id = :m, sent_at = :t",
        "ConditionExpression": "#s = :sending",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {
            ":sent": {"S": "sent"},
            ":sending": {"S": "sending"},
            ":m": {"S": message_id},
            ":t": {"S": now},
        },
    }


@dataclass
class FloorRun:
    interviews: int
    seconds: float
    calls: list[Call]


def run_floor(reference: ReferenceRun, interviews: int) -> FloorRun:
    """The minimal calls of `interviews` interviews on a fresh moto, through the handlers' clients, timed."""
    template = FloorPlan.from_calls(reference.interview_id, reference.calls)
    plans = [template.renamed(f"{i:06x}{reference.interview_id[6:]}") for i in range(interviews)]
    with fresh_cloud(), cheap_moto_transactions():
        clients = handler_clients()
        recorder = CallRecorder().attach(clients)  # same hooks as the pipeline: same per-call overhead
        dynamodb, events, scheduler, ses = (clients[s] for s in ("dynamodb", "events", "scheduler", "sesv2"))
        now = datetime.now().isoformat()
        started = time.perf_counter()
        for plan in plans:
            events.put_events(**plan.put_events)
            for store in plan.stores:
                dynamodb.transact_write_items(**store)
            for schedule in plan.schedules:
                scheduler.create_schedule(**schedule)
        for plan in plans:
            for claim, send in plan.emails:
                dynamodb.update_item(**claim)
                message_id = ses.send_email(**send)["MessageId"]
                dynamodb.update_item(**_mark_sent(claim, message_id, now))
        elapsed = time.perf_counter() - started
        recorder.detach(clients)
        expected = interviews * (1 + len(template.stores) + len(template.schedules) + 3 * len(template.emails))
        if len(recorder.calls) != expected:
            raise RuntimeError(f"floor made {len(recorder.calls)} calls, expected {expected}")
        return FloorRun(interviews, elapsed, recorder.calls)
