"""AWS list prices the cost model uses, and the cost model itself (pure: no AWS, no timing).

Prices are us-east-1 on-demand list prices without free tiers, as read on PRICES_AS_OF from the source pages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PRICES_AS_OF = "2026-05"
REGION = "us-east-1"

# name -> (USD per unit, unit, source). Units are stated so the model below cannot mix them up.
PRICES: dict[str, dict[str, Any]] = {
    "lambda_arm64_gb_second": {
        "usd": 0.0000133334,
        "unit": "GB-second (arm64, first 7.5 B GB-s/month)",
        "source": "https://aws.amazon.com/lambda/pricing/",
    },
    "lambda_request": {"usd": 0.20 / 1e6, "unit": "request", "source": "https://aws.amazon.com/lambda/pricing/"},
    "apigw_http_request": {
        "usd": 1.00 / 1e6,
        "unit": "HTTP API request (first 300 M/month, per 512 KB)",
        "source": "https://aws.amazon.com/api-gateway/pricing/",
    },
    "dynamodb_wru": {
        "usd": 0.625 / 1e6,
        "unit": "on-demand write request unit (1 KB; transactional = 2)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    },
    "dynamodb_rru": {
        "usd": 0.125 / 1e6,
        "unit": "on-demand read request unit (4 KB strong; eventual = 0.5)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    },
    "dynamodb_storage_gb_month": {
        "usd": 0.25,
        "unit": "GB-month, Standard table class",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    },
    "dynamodb_pitr_gb_month": {
        "usd": 0.20,
        "unit": "GB-month of continuous backup (PointInTimeRecovery)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    },
    "eventbridge_custom_event": {
        "usd": 1.00 / 1e6,
        "unit": "custom event published (per 64 KB chunk)",
        "source": "https://aws.amazon.com/eventbridge/pricing/",
    },
    "scheduler_invocation": {
        "usd": 1.00 / 1e6,
        "unit": "schedule invocation (after 14 M free/month; API calls not charged)",
        "source": "https://aws.amazon.com/eventbridge/pricing/",
    },
    "sqs_request": {
        "usd": 0.40 / 1e6,
        "unit": "standard queue request (per 64 KB chunk)",
        "source": "https://aws.amazon.com/sqs/pricing/",
    },
    "ses_email": {
        "usd": 0.10 / 1000,
        "unit": "outbound email per recipient (SES counts To+Cc+Bcc recipients)",
        "source": "https://aws.amazon.com/ses/pricing/ ; https://docs.aws.amazon.com/ses/latest/dg/quotas.html",
    },
    "cloudwatch_logs_ingest_gb": {
        "usd": 0.50,
        "unit": "GB ingested (Standard log class, first tier)",
        "source": "https://aws.amazon.com/cloudwatch/pricing/",
    },
    "xray_trace_recorded": {
        "usd": 5.00 / 1e6,
        "unit": "trace recorded (Tracing: Active)",
        "source": "https://aws.amazon.com/xray/pricing/",
    },
}

# Lambda gives a function CPU in proportion to memory: 1,769 MB is one full vCPU.
FULL_VCPU_MB = 1769
# Lambda's own START/END/REPORT lines per invocation (bytes, measured from typical CloudWatch output).
PLATFORM_LOG_BYTES_PER_INVOCATION = 350
# In-region service latencies (ms) a Lambda waits on per call: assumptions, not measurements (moto answers
# in-process). They only move the small Lambda-duration line.
ASSUMED_CALL_LATENCY_MS: dict[str, float] = {
    "dynamodb": 6.0,
    "eventbridge": 20.0,
    "scheduler": 20.0,
    "sesv2": 60.0,
    "ssm": 15.0,
}
DEFAULT_CALL_LATENCY_MS = 20.0
SES_FLOOR_EMAILS_PER_INTERVIEW = 4


@dataclass(frozen=True)
class FunctionUsage:
    """One function's share of one interview."""

    invocations: float
    billed_ms_per_invocation: float
    memory_mb: int


@dataclass(frozen=True)
class InterviewUsage:
    """Everything one interview consumes, the input of the cost model."""

    functions: Mapping[str, FunctionUsage]
    api_requests: float
    dynamodb_wru: float
    dynamodb_rru: float
    stored_bytes: float
    storage_months: float
    eventbridge_events: float
    scheduler_invocations: float
    sqs_requests: float
    ses_recipients: float
    log_bytes: float
    xray_traces: float
    notes: list[str] = field(default_factory=list)


def billed_ms(cpu_ms_local: float, calls_by_service: Mapping[str, float], memory_mb: int) -> float:
    """Lambda billed duration for one invocation: local CPU time scaled to the function's CPU share, plus the
    assumed wait on each AWS call, rounded up to Lambda's 1 ms granularity."""
    cpu_share = min(1.0, memory_mb / FULL_VCPU_MB)
    waiting = sum(ASSUMED_CALL_LATENCY_MS.get(s, DEFAULT_CALL_LATENCY_MS) * n for s, n in calls_by_service.items())
    return float(math.ceil(cpu_ms_local / cpu_share + waiting))


def cost_breakdown(usage: InterviewUsage, interviews: int = 1000) -> dict[str, float]:
    """USD per `interviews` interviews, by line."""
    p = {name: spec["usd"] for name, spec in PRICES.items()}
    lambda_gb_s = sum(
        f.invocations * (f.memory_mb / 1024) * (f.billed_ms_per_invocation / 1000) for f in usage.functions.values()
    )
    lambda_requests = sum(f.invocations for f in usage.functions.values())
    gb_months_stored = usage.stored_bytes / 1e9 * usage.storage_months
    lines = {
        "lambda_duration": lambda_gb_s * p["lambda_arm64_gb_second"],
        "lambda_requests": lambda_requests * p["lambda_request"],
        "api_gateway_http": usage.api_requests * p["apigw_http_request"],
        "dynamodb_writes": usage.dynamodb_wru * p["dynamodb_wru"],
        "dynamodb_reads": usage.dynamodb_rru * p["dynamodb_rru"],
        "dynamodb_storage": gb_months_stored * p["dynamodb_storage_gb_month"],
        "dynamodb_pitr": gb_months_stored * p["dynamodb_pitr_gb_month"],
        "eventbridge_events": usage.eventbridge_events * p["eventbridge_custom_event"],
        "scheduler_invocations": usage.scheduler_invocations * p["scheduler_invocation"],
        "sqs_requests": usage.sqs_requests * p["sqs_request"],
        "ses_emails": usage.ses_recipients * p["ses_email"],
        "cloudwatch_logs": usage.log_bytes / 1e9 * p["cloudwatch_logs_ingest_gb"],
        "xray_traces": usage.xray_traces * p["xray_trace_recorded"],
    }
    return {name: value * interviews for name, value in lines.items()}


def ses_floor_per_1000() -> float:
    """The physical floor: the four emails of the reference interview, one recipient each, nothing else."""
    return SES_FLOOR_EMAILS_PER_INTERVIEW * float(PRICES["ses_email"]["usd"]) * 1000


def dynamodb_write_units(item_bytes: int, *, transactional: bool = False) -> int:
    """WRUs of one item write: 1 per started KB, doubled inside a transaction."""
    units = max(1, math.ceil(item_bytes / 1024))
    return units * (2 if transactional else 1)


def dynamodb_read_units(item_bytes: int, *, consistent: bool = True, transactional: bool = False) -> float:
    units = float(max(1, math.ceil(item_bytes / 4096)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


def dynamodb_item_size(item: Mapping[str, Any]) -> int:
    """Approximate billed size of an item in DynamoDB JSON (`{"name": {"S": "..."}}`), per AWS's sizing rules."""
    return sum(len(name.encode()) + _attribute_value_size(value) for name, value in item.items())


def _attribute_value_size(value: Mapping[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind in ("S", "B"):
        return len(inner.encode() if isinstance(inner, str) else inner)
    if kind == "N":
        digits = len(str(inner).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _attribute_value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_attribute_value_size(v) + 1 for v in inner)
    if kind in ("SS", "BS"):
        return sum(len(x.encode() if isinstance(x, str) else x) for x in inner)
    if kind == "NS":
        return sum(math.ceil(len(str(x)) / 2) + 1 for x in inner)
    return len(str(inner))
