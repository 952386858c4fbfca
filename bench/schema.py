"""The shape of bench/results.json that CONTRACT §6 fixes (extra keys are allowed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FUNCTION_IDS = ("ApiFunction", "PlannerFunction", "SenderFunction")
BURST_KEYS = ("due", "sent_once", "lost", "duplicates", "max_rate_per_s")


class ResultsShapeError(ValueError):
    """results.json does not have the contract's shape."""


def _number(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResultsShapeError(f"{where} must be a number, got {value!r}")


def _integer(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResultsShapeError(f"{where} must be an integer, got {value!r}")


def validate_results(results: Mapping[str, Any]) -> None:
    """Raise ResultsShapeError naming the first key that does not match CONTRACT §6."""
    cold = results.get("cold_start_ratio")
    if not isinstance(cold, Mapping) or not cold:
        raise ResultsShapeError("cold_start_ratio must be an object of LogicalId -> float")
    for function_id in FUNCTION_IDS:
        if function_id not in cold:
            raise ResultsShapeError(f"cold_start_ratio lacks {function_id}")
    for function_id, ratio in cold.items():
        _number(ratio, f"cold_start_ratio.{function_id}")
    _number(results.get("e2e_ratio"), "e2e_ratio")
    calls = results.get("aws_calls_reference")
    if not isinstance(calls, Mapping):
        raise ResultsShapeError("aws_calls_reference must be an object")
    _integer(calls.get("total"), "aws_calls_reference.total")
    by_operation = calls.get("by_operation")
    if not isinstance(by_operation, Mapping):
        raise ResultsShapeError("aws_calls_reference.by_operation must be an object")
    for operation, count in by_operation.items():
        _integer(count, f"aws_calls_reference.by_operation.{operation}")
    if sum(by_operation.values()) != calls["total"]:
        raise ResultsShapeError("aws_calls_reference.total is not the sum of by_operation")
    _number(results.get("cost_per_1000_interviews_usd"), "cost_per_1000_interviews_usd")
    _number(results.get("ses_floor_per_1000_interviews_usd"), "ses_floor_per_1000_interviews_usd")
    burst = results.get("burst")
    if not isinstance(burst, Mapping):
        raise ResultsShapeError("burst must be an object")
    for key in BURST_KEYS:
        if key == "max_rate_per_s":
            _number(burst.get(key), f"burst.{key}")
        else:
            _integer(burst.get(key), f"burst.{key}")
    invoke = results.get("invoke_ratio")
    if invoke is not None:
        # Added with `followup invoke`'s figure (bench/invoke.py); absent when BENCH_INVOKE_RUNS=0.
        if not isinstance(invoke, Mapping) or set(invoke) != {"fresh", "attached"}:
            raise ResultsShapeError("invoke_ratio must be an object with fresh and attached")
        for mode, ratio in invoke.items():
            _number(ratio, f"invoke_ratio.{mode}")
