"""The benchmark's pure pieces: the cost model, DynamoDB sizing, the results schema, the SES limiter and the
virtual queue. No timing here: the figures themselves come from `make bench`."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from bench.burst import SimulatedSes, VirtualQueue, VirtualTime
from bench.coldstart import parse_importtime
from bench.prices import (
    PRICES,
    FunctionUsage,
    InterviewUsage,
    billed_ms,
    cost_breakdown,
    dynamodb_item_size,
    dynamodb_write_units,
    ses_floor_per_1000,
)
from bench.schema import ResultsShapeError, validate_results

VALID: dict[str, Any] = {
    "cold_start_ratio": {"ApiFunction": 1.2, "PlannerFunction": 1.1, "SenderFunction": 1.25},
    "e2e_ratio": 1.1,
    "aws_calls_reference": {"total": 19, "by_operation": {"PutEvents": 1, "TransactWriteItems": 2, "X": 16}},
    "cost_per_1000_interviews_usd": 0.45,
    "ses_floor_per_1000_interviews_usd": 0.4,
    "burst": {"due": 10, "sent_once": 10, "lost": 0, "duplicates": 0, "max_rate_per_s": 14.0},
    "inbound_worst_parse_ms": 8.8,
}


def _ses_only(recipients: float) -> InterviewUsage:
    return InterviewUsage(
        functions={},
        api_requests=0,
        dynamodb_wru=0,
        dynamodb_rru=0,
        stored_bytes=0,
        storage_months=0,
        eventbridge_events=0,
        scheduler_invocations=0,
        sqs_requests=0,
        ses_recipients=recipients,
        log_bytes=0,
        xray_traces=0,
    )


def test_every_price_names_its_unit_and_source() -> None:
    for name, spec in PRICES.items():
        assert spec["usd"] > 0, name
        assert spec["unit"], name
        assert spec["source"].startswith("https://"), name


def test_ses_floor_is_four_emails_at_ten_cents_per_thousand() -> None:
    assert ses_floor_per_1000() == pytest.approx(0.40)
    assert sum(cost_breakdown(_ses_only(4)).values()) == pytest.approx(0.40)


def test_lambda_line_is_memory_times_billed_duration() -> None:
    usage = _ses_only(0)
    usage = InterviewUsage(**{**usage.__dict__, "functions": {"F": FunctionUsage(1, 1000, 1024)}})
    lines = cost_breakdown(usage, interviews=1)
    assert lines["lambda_duration"] == pytest.approx(PRICES["lambda_arm64_gb_second"]["usd"])
    assert lines["lambda_requests"] == pytest.approx(PRICES["lambda_request"]["usd"])


def test_billed_duration_scales_cpu_to_the_memory_share_and_adds_call_latency() -> None:
    assert billed_ms(0, {}, 1769) == 0
    assert billed_ms(10, {}, 1769) == 10
    assert billed_ms(10, {}, 1769 // 2) == pytest.approx(21, abs=1)
    assert billed_ms(0, {"dynamodb": 2}, 256) > 0


def test_dynamodb_sizes_and_transactional_writes_cost_double() -> None:
    item = {"pk": {"S": "IV#1"}, "n": {"N": "123"}, "ok": {"BOOL": True}}
    assert dynamodb_item_size(item) == (2 + 4) + (1 + 3) + (2 + 1)
    assert dynamodb_write_units(100) == 1
    assert dynamodb_write_units(1025) == 2
    assert dynamodb_write_units(1025, transactional=True) == 4


def test_results_schema_accepts_the_contract_shape_and_names_what_is_wrong() -> None:
    validate_results(VALID)
    broken = copy.deepcopy(VALID)
    del broken["cold_start_ratio"]["SenderFunction"]
    with pytest.raises(ResultsShapeError, match="SenderFunction"):
        validate_results(broken)
    broken = copy.deepcopy(VALID)
    broken["aws_calls_reference"]["total"] = 20
    with pytest.raises(ResultsShapeError, match="sum"):
        validate_results(broken)
    broken = copy.deepcopy(VALID)
    broken["burst"]["lost"] = 0.5
    with pytest.raises(ResultsShapeError, match=r"burst\.lost"):
        validate_results(broken)


def test_the_invoke_figure_is_an_added_key_with_both_modes() -> None:
    with_invoke = {**copy.deepcopy(VALID), "invoke_ratio": {"fresh": 3.5, "attached": 2.0}}
    validate_results(with_invoke)  # and VALID, without it, stays valid (BENCH_INVOKE_RUNS=0)
    with_invoke["invoke_ratio"] = {"fresh": 3.5}
    with pytest.raises(ResultsShapeError, match="invoke_ratio"):
        validate_results(with_invoke)
    with_invoke["invoke_ratio"] = {"fresh": 3.5, "attached": "fast"}
    with pytest.raises(ResultsShapeError, match=r"invoke_ratio\.attached"):
        validate_results(with_invoke)


def test_inbound_parse_figure_has_its_shape() -> None:
    from itertools import islice

    from bench.inbound_parse import all_cases, measure, validate_figure

    figure = measure(repeats=1, cases=islice(all_cases(), 3))
    assert figure["cases"] == 3
    assert figure["worst_case"] in figure["slowest"]
    assert figure["worst_ms"] == max(figure["slowest"].values())
    assert figure["outcomes"]["mail"] + figure["outcomes"]["malformed"] == 3
    validate_figure(VALID)
    for wrong in ("fast", -1, True, None):
        with pytest.raises(ResultsShapeError, match="inbound_worst_parse_ms"):
            validate_figure({**VALID, "inbound_worst_parse_ms": wrong})


def test_simulated_ses_refuses_recipients_above_the_rate_in_any_second() -> None:
    from botocore.exceptions import ClientError

    time = VirtualTime(datetime(2026, 1, 1, tzinfo=UTC))
    ses = SimulatedSes(rate=14, time=time)
    accepted = 0
    codes = []
    for step in range(100):  # 2 recipients every 50 ms: 40/s offered
        time.seconds = step * 0.05
        try:
            ses._admit({"bench_recipients": 2, "bench_follow_up": str(step)})
            accepted += 1
        except ClientError as exc:
            codes.append(exc.response["Error"]["Code"])
    assert ses.max_per_second() <= 14
    assert accepted == 7 * 5
    assert codes == ["TooManyRequestsException"] * (100 - accepted)


def test_virtual_queue_hides_received_messages_and_redrives_after_max_receives() -> None:
    queue = VirtualQueue(visibility_timeout_s=180, max_receive_count=2)
    queue.send("a")
    assert [m.body for m in queue.receive(0, 10)] == ["a"]
    assert queue.receive(10, 10) == []  # in flight
    assert [m.body for m in queue.receive(180, 10)] == ["a"]  # failed record back after the timeout
    assert queue.receive(360, 10) == []  # third receive: to the DLQ
    assert [m.body for m in queue.dead_letters] == ["a"]
    assert queue.next_visible_at() is None


def test_virtual_queue_honours_visibility_changes_for_the_latest_receive_only() -> None:
    queue = VirtualQueue(visibility_timeout_s=180, max_receive_count=10)
    queue.send("a")
    first = queue.receive(0, 10)[0]
    stale = VirtualQueue.receipt_handle(first)
    assert queue.change_visibility(stale, now=1, timeout_s=5)  # the handler's back-off: back after 5 s, not 180
    assert queue.receive(5.9, 10) == []
    second = queue.receive(6, 10)[0]
    assert not queue.change_visibility(stale, now=7, timeout_s=0)  # an old receipt handle changes nothing
    assert queue.change_visibility(VirtualQueue.receipt_handle(second), now=7, timeout_s=10)
    assert queue.next_visible_at() == 17
    assert queue.visibility_changes == 2


def test_importtime_lines_know_their_importing_parent() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 |     jinja2.utils",
            "import time:       200 |        300 |   jinja2",
            "import time:        50 |        350 | followup.messages.render",
        ]
    )
    lines = {line.module: line for line in parse_importtime(stderr)}
    assert lines["jinja2.utils"].parent == "jinja2"
    assert lines["jinja2"].parent == "followup.messages.render"
    assert lines["followup.messages.render"].parent is None
    assert lines["jinja2"].cumulative_us == 300
