"""`make bench`: every figure against its floor, measured in the same run; a table on stdout and
bench/results.json in the shape CONTRACT §6 fixes (plus the details behind each figure).

Environment knobs: BENCH_COLD_RUNS (7), BENCH_E2E_INTERVIEWS (20), BENCH_BURST_DUE (10000, the issue's burst; about
2 minutes), BENCH_BURST_UNPACED_DUE (1000: the same burst with the sender's pacer taken out, for comparison; 0 skips),
BENCH_INBOUND_REPEATS (5: parses per hostile inbound mail, see bench/inbound_parse.py), BENCH_INVOKE_RUNS (3: timed
`followup invoke` processes per function and mode, see bench/invoke.py; 0 skips).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import use_fake_aws_environment

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
GOALS = {"cold_start": 1.30, "e2e": 1.25, "calls": 21, "cost": 1.15, "inbound_parse_ms": 50.0, "invoke_s": 3.0}


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def measure_cold_start(reference: Any, runs: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from bench.coldstart import import_offenders, measure_cold_starts

    with tempfile.TemporaryDirectory() as directory:
        files = {}
        for fid, event in reference.first_request_events.items():
            files[fid] = Path(directory) / f"{fid}.json"
            files[fid].write_text(json.dumps(event))
        results = measure_cold_starts(files, runs=runs)
        offenders = {fid: import_offenders(result, files[fid]) for fid, result in results.items()}
    return {fid: r.to_json() for fid, r in results.items()}, offenders


def latency_model_seconds(calls: list[Any], cpu_seconds: float) -> float:
    from bench.prices import ASSUMED_CALL_LATENCY_MS, DEFAULT_CALL_LATENCY_MS

    return cpu_seconds + sum(ASSUMED_CALL_LATENCY_MS.get(c.service, DEFAULT_CALL_LATENCY_MS) for c in calls) / 1000


def measure_e2e(reference: Any, payload: dict[str, Any], interviews: int) -> tuple[Any, dict[str, Any]]:
    from bench.e2e import run_floor, run_pipeline

    pipelines, floors = [], []
    for _ in range(3):  # interleaved, best of three each: the machine is shared
        pipelines.append(run_pipeline(payload, interviews))
        floors.append(run_floor(reference, interviews))
    pipeline = min(pipelines, key=lambda p: p.handler_seconds)
    floor = min(floors, key=lambda f: f.seconds)
    pipeline_cpu = sum(i.seconds - i.aws_seconds for i in pipeline.invocations)
    floor_cpu = floor.seconds - sum(c.seconds for c in floor.calls)

    def per_op(calls: list[Any]) -> dict[str, dict[str, float]]:
        grouped: dict[str, list[float]] = {}
        for call in calls:
            grouped.setdefault(call.operation, []).append(call.seconds * 1000)
        return {op: {"calls": len(v), "mean_ms": round(statistics.fmean(v), 2)} for op, v in sorted(grouped.items())}

    details = {
        "interviews": interviews,
        "pipeline_handler_s": round(pipeline.handler_seconds, 3),
        "pipeline_cpu_outside_calls_s": round(pipeline_cpu, 3),
        "floor_s": round(floor.seconds, 3),
        "pipeline_calls": len(pipeline.calls),
        "pacer_waits_not_slept": {"waits": pipeline.pacer_waits, "seconds": round(pipeline.pacer_wait_seconds, 1)},
        "floor_calls": len(floor.calls),
        "pipeline_by_operation": per_op(pipeline.calls),
        "floor_by_operation": per_op(floor.calls),
        "ratio_measured": round(pipeline.handler_seconds / floor.seconds, 3),
        "ratio_latency_model": round(
            latency_model_seconds(pipeline.calls, pipeline_cpu) / latency_model_seconds(floor.calls, floor_cpu), 3
        ),
        "per_function": {
            fid: {k: (round(v, 2) if isinstance(v, float) else v) for k, v in stats.items()}
            for fid, stats in pipeline.per_function().items()
        },
    }
    return pipeline, details


def aws_calls(reference: Any, pipeline: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    by_operation = dict(sorted(Counter(c.operation for c in reference.calls).items()))
    warm = Counter(c.operation for c in pipeline.calls)
    details = {
        "cold_reference_includes": "first request of fresh handlers (secrets fetched once, then cached 300 s)",
        "warm_per_interview": {op: round(n / pipeline.interviews, 2) for op, n in sorted(warm.items())},
        "warm_total_per_interview": round(sum(warm.values()) / pipeline.interviews, 2),
        "scans": sum(1 for c in [*reference.calls, *pipeline.calls] if c.operation == "Scan"),
        "by_function": {
            fid: dict(sum((i.calls_by_service for i in reference.invocations if i.function == fid), Counter()))
            for fid in sorted({i.function for i in reference.invocations})
        },
    }
    return {"total": sum(by_operation.values()), "by_operation": by_operation}, details


def measure_cost(reference: Any, pipeline: Any) -> tuple[float, float, dict[str, Any]]:
    from dataclasses import asdict

    from bench.prices import PRICES, PRICES_AS_OF, REGION, cost_breakdown, ses_floor_per_1000
    from bench.usage import interview_usage

    usage = interview_usage(reference, pipeline)
    lines = cost_breakdown(usage)
    total = sum(lines.values())
    floor = ses_floor_per_1000()
    per_message = dict(lines)
    per_message["ses_emails"] = len(reference.outbox) * float(PRICES["ses_email"]["usd"]) * 1000
    details = {
        "lines_usd_per_1000": {k: round(v, 5) for k, v in sorted(lines.items(), key=lambda kv: -kv[1])},
        "usage_per_interview": {k: v for k, v in asdict(usage).items() if k != "notes"},
        "notes": usage.notes,
        "if_ses_billed_per_message_not_per_recipient_usd": round(sum(per_message.values()), 4),
        "prices": {"as_of": PRICES_AS_OF, "region": REGION, "list": PRICES},
    }
    return total, floor, details


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def print_table(results: dict[str, Any]) -> None:
    m = results["machine"]
    rows: list[tuple[str, str, str, str, str]] = []
    for fid, ratio in results["cold_start_ratio"].items():
        d = results["details"]["cold_start"][fid]
        rows.append(
            (
                f"cold start {fid}",
                f"{d['handler_ms_median']:.0f} ms",
                f"{d['floor_ms_median']:.0f} ms",
                f"{ratio:.2f}x",
                f"<= {GOALS['cold_start']}x",
            )
        )
    e2e = results["details"]["e2e"]
    rows.append(
        (
            f"end to end, {e2e['interviews']} interviews",
            f"{e2e['pipeline_handler_s']:.2f} s",
            f"{e2e['floor_s']:.2f} s",
            f"{results['e2e_ratio']:.2f}x",
            f"<= {GOALS['e2e']}x",
        )
    )
    rows.append(("  same, in-region latency model", "", "", f"{e2e['ratio_latency_model']:.2f}x", ""))
    calls = results["aws_calls_reference"]
    scans = results["details"]["aws_calls"]["scans"]
    rows.append(
        (
            "AWS calls, reference interview",
            str(calls["total"]),
            "19",
            f"{calls['total'] / 19:.2f}x",
            f"<= {GOALS['calls']}, Scan {scans}",
        )
    )
    cost, floor = results["cost_per_1000_interviews_usd"], results["ses_floor_per_1000_interviews_usd"]
    rows.append(
        ("cost per 1,000 interviews", f"${cost:.3f}", f"${floor:.3f}", f"{cost / floor:.2f}x", f"<= {GOALS['cost']}x")
    )
    for key in ("burst", "burst_unpaced"):
        b = results["details"].get(key)
        if not b:
            continue
        label = "burst" if key == "burst" else "  same, pacer removed"
        rows.append(
            (
                f"{label}, {b['due']} due",
                f"sent once {b['sent_once']}, lost {b['lost']}, dup {b['duplicates']}",
                f"max {_fmt(b['max_rate_per_s'], 0)}/s (limit {_fmt(b['rate_limit_recipients_per_s'], 0)})",
                f"drain {b['drain_virtual_s']:.0f} s (ideal {b['ideal_drain_virtual_s']:.0f} s)",
                f"DLQ {b['messages_in_dlq']}, throttled {b['ses_throttled_attempts']}",
            )
        )
    inbound = results["details"].get("inbound_parse")
    if inbound:
        rows.append(
            (
                f"inbound parse, worst of {inbound['cases']} hostile mails",
                f"{results['inbound_worst_parse_ms']:.1f} ms CPU",
                f"case {inbound['worst_case']}",
                f"wall {inbound['worst_wall_ms']['ms']:.1f} ms",
                f"<= {GOALS['inbound_parse_ms']:.0f} ms",
            )
        )
    invoke = results["details"].get("invoke")
    if invoke:
        for mode, label in (("fresh", "fresh embedded AWS"), ("attached", "on the running stack")):
            rows.append(
                (
                    f"followup invoke, {label}",
                    f"{invoke[f'{mode}_s']:.2f} s",
                    f"{invoke['floor_handler_import_s']:.2f} s (handler import)",
                    f"{invoke['ratio'][mode]:.2f}x",
                    f"<= {GOALS['invoke_s']:.0f} s",
                )
            )
    print(
        f"\nmake bench — {m['date']} — {m['machine']}, {m['cpus']} CPUs, Python {m['python']}, "
        f"load {m['load_average_1m']}"
    )
    widths = [max(len(r[i]) for r in [*rows, ("figure", "measured", "floor", "ratio", "goal")]) for i in range(5)]
    header = ("figure", "measured", "floor", "ratio", "goal")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")


def main() -> int:
    use_fake_aws_environment()
    warnings.filterwarnings("ignore")
    from bench.burst import run_burst
    from bench.e2e import load_reference_payload, run_reference
    from bench.inbound_parse import measure as measure_inbound_parse
    from bench.inbound_parse import validate_figure
    from bench.schema import validate_results

    started = time.perf_counter()
    info = machine()
    payload = load_reference_payload()
    step = lambda name: print(f"[{time.perf_counter() - started:6.1f} s] {name}", file=sys.stderr, flush=True)  # noqa: E731

    step("reference interview (cold handlers)")
    reference = run_reference(payload)
    step("cold starts (fresh processes)")
    cold, offenders = measure_cold_start(reference, _env_int("BENCH_COLD_RUNS", 7))
    step("end to end: pipeline and floor, three times each")
    pipeline, e2e = measure_e2e(reference, payload, _env_int("BENCH_E2E_INTERVIEWS", 20))
    calls, calls_details = aws_calls(reference, pipeline)
    cost, ses_floor, cost_details = measure_cost(reference, pipeline)
    due = _env_int("BENCH_BURST_DUE", 10_000)
    step(f"burst: {due} follow-ups due at once, the real sender (paced, backing off)")
    burst = run_burst(reference, due=due)
    unpaced_due = _env_int("BENCH_BURST_UNPACED_DUE", 1000)
    burst_unpaced = None
    if unpaced_due:
        step(f"burst: {unpaced_due} due, the same sender with its pacer taken out (comparison)")
        burst_unpaced = run_burst(reference, due=unpaced_due, paced=False)
    step("inbound mail: parse every hostile corpus case, and each scaled up to the read cap")
    inbound_parse = measure_inbound_parse()
    invoke_runs = _env_int("BENCH_INVOKE_RUNS", 3)
    invoke = None
    if invoke_runs:
        from bench.invoke import measure_invoke

        step("followup invoke: fresh and on a running stack, against a bare handler import (fresh processes)")
        invoke = measure_invoke(invoke_runs)
    step("done")

    results: dict[str, Any] = {
        "cold_start_ratio": {fid: c["ratio"] for fid, c in cold.items()},
        "e2e_ratio": e2e["ratio_measured"],
        "aws_calls_reference": calls,
        "cost_per_1000_interviews_usd": round(cost, 4),
        "ses_floor_per_1000_interviews_usd": round(ses_floor, 4),
        "burst": {k: burst[k] for k in ("due", "sent_once", "lost", "duplicates", "max_rate_per_s")},
        "inbound_worst_parse_ms": inbound_parse["worst_ms"],
        **({"invoke_ratio": invoke["ratio"]} if invoke else {}),
        "machine": info,
        "goals": GOALS,
        "details": {
            "cold_start": cold,
            "import_offenders": offenders,
            "e2e": e2e,
            "aws_calls": calls_details,
            "cost": cost_details,
            "burst": burst,
            "burst_unpaced": burst_unpaced,
            "inbound_parse": inbound_parse,
            "invoke": invoke,
            "bench_seconds": round(time.perf_counter() - started, 1),
        },
    }
    validate_results(results)
    validate_figure(results)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
