"""From the measured runs to what one interview consumes (the cost model's input), with the arithmetic shown."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from bench.e2e import PipelineRun, ReferenceRun
from bench.harness import Call
from bench.prices import (
    PLATFORM_LOG_BYTES_PER_INVOCATION,
    FunctionUsage,
    InterviewUsage,
    billed_ms,
    dynamodb_item_size,
    dynamodb_read_units,
    dynamodb_write_units,
)

# SQS requests per delivered follow-up at low volume: Scheduler's SendMessage, the event source mapping's
# ReceiveMessage (one message per batch) and DeleteMessageBatch. Idle long polling is a fixed monthly cost.
SQS_REQUESTS_PER_DELIVERY = 3
EVENT_CHUNK_BYTES = 64 * 1024


def _key(item_or_key: dict[str, Any]) -> str:
    return json.dumps({"pk": item_or_key.get("pk"), "sk": item_or_key.get("sk")}, sort_keys=True)


def dynamodb_units(calls: list[Call], stored_items: list[dict[str, Any]]) -> dict[str, float]:
    """WRU/RRU of the handlers' DynamoDB calls. Updates are billed on the larger of the item before and after;
    the stored (final) size stands in for both, or the size the call itself returned."""
    sizes = {_key(item): dynamodb_item_size(item) for item in stored_items}

    def size_at(key: dict[str, Any], returned: dict[str, Any] | None = None) -> int:
        known = sizes.get(_key(key), 0)
        return max(known, dynamodb_item_size(returned) if returned else 0, 1)

    wru = rru = 0.0
    for call in calls:
        if call.service != "dynamodb":
            continue
        p, parsed = call.params, call.parsed or {}
        if call.operation == "PutItem":
            wru += dynamodb_write_units(dynamodb_item_size(p["Item"]))
        elif call.operation in ("UpdateItem", "DeleteItem"):
            wru += dynamodb_write_units(size_at(p["Key"], parsed.get("Attributes")))
        elif call.operation == "TransactWriteItems":
            for entry in p["TransactItems"]:
                (kind, op), *_ = entry.items()
                size = dynamodb_item_size(op["Item"]) if kind == "Put" else size_at(op["Key"])
                wru += dynamodb_write_units(size, transactional=True)
        elif call.operation == "BatchWriteItem":
            for requests in p["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        wru += dynamodb_write_units(dynamodb_item_size(request["PutRequest"]["Item"]))
                    else:
                        wru += dynamodb_write_units(size_at(request["DeleteRequest"]["Key"]))
        elif call.operation == "GetItem":
            item = parsed.get("Item")
            rru += dynamodb_read_units(
                dynamodb_item_size(item) if item else 1, consistent=bool(p.get("ConsistentRead"))
            )
        elif call.operation in ("Query", "Scan"):
            total = sum(dynamodb_item_size(item) for item in parsed.get("Items", []))
            rru += dynamodb_read_units(total or 1, consistent=bool(p.get("ConsistentRead")))
    return {"wru": wru, "rru": rru}


def ses_recipients(calls: list[Call]) -> int:
    """SES counts (and bills) every To, Cc and Bcc recipient."""
    total = 0
    for call in calls:
        if call.operation == "SendEmail":
            destination = call.params.get("Destination", {})
            total += sum(len(destination.get(f, [])) for f in ("ToAddresses", "CcAddresses", "BccAddresses"))
    return total


def eventbridge_events(calls: list[Call]) -> int:
    total = 0
    for call in calls:
        if call.operation == "PutEvents":
            for entry in call.params["Entries"]:
                size = sum(len(str(entry.get(k, "")).encode()) for k in ("Source", "DetailType", "Detail"))
                total += math.ceil(size / EVENT_CHUNK_BYTES)
    return total


def storage_months(reference: ReferenceRun) -> float:
    """Months an interview stays stored: until RetentionDays after its last follow-up (DynamoDB TTL)."""
    due = [datetime.fromisoformat(f["due_at"].replace("Z", "+00:00")) for f in reference.accepted["follow_ups"]]
    submitted = datetime.fromisoformat("2026-11-24T21:00:00+00:00")
    retention = timedelta(days=int(reference.parameters.get("RetentionDays", "180")))
    return (max(due) - submitted + retention).total_seconds() / (30.44 * 86400)


def interview_usage(reference: ReferenceRun, pipeline: PipelineRun) -> InterviewUsage:
    """Calls from the cold reference interview; durations and log bytes from the warm pipeline run."""
    per_function = pipeline.per_function()
    functions = {
        fid: FunctionUsage(
            invocations=stats["invocations_per_interview"],
            billed_ms_per_invocation=billed_ms(
                stats["mean_cpu_ms"], stats["calls_per_invocation"], reference.memory_mb[fid]
            ),
            memory_mb=reference.memory_mb[fid],
        )
        for fid, stats in per_function.items()
    }
    invocations = sum(f.invocations for f in functions.values())
    log_bytes = sum(
        stats["invocations_per_interview"] * (stats["log_bytes_per_invocation"] + PLATFORM_LOG_BYTES_PER_INVOCATION)
        for stats in per_function.values()
    )
    units = dynamodb_units(reference.calls, reference.items)
    operations = Counter(call.operation for call in reference.calls)
    api_invocations = sum(1 for i in reference.invocations if i.function == "ApiFunction")
    return InterviewUsage(
        functions=functions,
        api_requests=api_invocations,
        dynamodb_wru=units["wru"],
        dynamodb_rru=units["rru"],
        stored_bytes=reference.stored_bytes(),
        storage_months=storage_months(reference),
        eventbridge_events=eventbridge_events(reference.calls),
        scheduler_invocations=operations["CreateSchedule"],
        sqs_requests=SQS_REQUESTS_PER_DELIVERY * operations["CreateSchedule"],
        ses_recipients=ses_recipients(reference.calls),
        log_bytes=log_bytes,
        xray_traces=invocations,
        notes=[
            "Lambda duration = local CPU outside AWS calls / (MemorySize / 1769 MB) + assumed in-region latency per "
            "call, rounded up to 1 ms",
            f"logs = measured handler stdout + {PLATFORM_LOG_BYTES_PER_INVOCATION} B of START/END/REPORT per "
            "invocation",
            "X-Ray: Tracing: Active, one trace per invocation (upper bound; default sampling traces about all at "
            "low volume)",
            f"SQS: {SQS_REQUESTS_PER_DELIVERY} requests per delivery (Scheduler send, ESM receive, delete)",
            "SSM GetParameter (standard parameters) and Scheduler API calls are not charged",
        ],
    )
