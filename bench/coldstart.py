"""Cold start: a fresh Python process that loads one function's handler module by file path (as the Lambda
runtime does) and runs its first request up to the moment it would call AWS, against a fresh process that imports
boto3 and creates the same clients (one session, same configuration).

The first AWS call is intercepted at `botocore.endpoint.Endpoint.make_request` (nothing reaches the network), so
"init" means everything the function does before its first call, whatever shape the code takes: imports, settings,
clients, event parsing. Both children are timed from their first timed statement, after the interpreter is up and
the event file is read, so the interpreter's own start-up (the same for both, and done by the Lambda runtime before
INIT) does not dilute the ratio.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

HANDLER_PATHS: dict[str, str] = {
    "ApiFunction": "functions/api/app.py",
    "PlannerFunction": "functions/planner/app.py",
    "SenderFunction": "functions/sender/app.py",
    "FeedbackFunction": "functions/feedback/app.py",
}

# What Lambda would set from template.yaml (dummies: nothing here reaches AWS).
DUMMY_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "followup",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_NAMESPACE": "InterviewFollowup",
    "TABLE_NAME": "followup-table",
    "IDEMPOTENCY_TABLE_NAME": "followup-idempotency",
    "EVENT_BUS_NAME": "followup-bus",
    "SCHEDULE_GROUP_NAME": "followup-group",
    "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
    "SEND_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:send",
    "SCHEDULER_DLQ_ARN": "arn:aws:sqs:us-east-1:123456789012:scheduler-dlq",
    "SENDER_EMAIL": "followups@example.com",
    "SENDER_NAME": "Interview Follow-ups",
    "SES_CONFIGURATION_SET": "followup-set",
    "SES_MAX_SEND_RATE": "14",
    "SENDER_MAX_CONCURRENCY": "2",
    "INBOUND_PREFIX": "inbound/",
    "API_KEY_PARAMETER": "/followup/api-key",
    "WEBHOOK_SECRET_PARAMETER": "/followup/webhook-secret",
    "FORM_KEY_PARAMETER": "/followup/form-key",
    "LINK_SECRET_PARAMETER": "/followup/link-secret",
    "RETENTION_DAYS": "180",
    "PUBLIC_BASE_URL": "https://api.example.com",
}

# Untimed prologue shared by both children: the event is read and a Lambda-like context exists before the clock.
_PROLOGUE = """\
import json as _json, sys as _sys, time as _time
_event = _json.load(open(_sys.argv[1]))
class _Context:
    function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 256; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    log_group_name = "/aws/lambda/bench"; log_stream_name = "bench"
    def get_remaining_time_in_millis(self): return 30000
_start = _time.perf_counter()
"""

# Timed, in both children: the stop at the first AWS call and the record of created clients (same cost for both).
_INTERCEPT = """\
import boto3.session as _bs, botocore.endpoint as _be
_made = []
_orig_client = _bs.Session.client
def _client(self, name, *a, **k):
    _made.append(name)
    return _orig_client(self, name, *a, **k)
_bs.Session.client = _client
class _FirstAwsCall(BaseException):
    pass
def _stop(self, operation_model, request_dict):
    raise _FirstAwsCall(operation_model.service_model.service_name + "." + operation_model.name)
_be.Endpoint.make_request = _stop
_first_call = None
"""

_EPILOGUE = """
_ms = (_time.perf_counter() - _start) * 1000
_sys.stdout.write("\\n" + _json.dumps({"ms": _ms, "clients": _made, "first_call": _first_call}))
"""


def handler_script(path: Path) -> str:
    run = f"""\
import importlib.util as _u
_spec = _u.spec_from_file_location("app", {str(path)!r})
_m = _u.module_from_spec(_spec); _sys.modules["app"] = _m; _spec.loader.exec_module(_m)
try:
    _m.lambda_handler(_event, _Context())
except _FirstAwsCall as _exc:
    _first_call = str(_exc)
"""
    return _PROLOGUE + _INTERCEPT + run + _EPILOGUE


def floor_script(clients: list[str]) -> str:
    """One session, the same clients with the handlers' configuration: the least any handler must do."""
    run = (
        "from botocore.config import Config as _Config\n"
        "_config = _Config(retries={'mode': 'adaptive', 'max_attempts': 5}, connect_timeout=5, read_timeout=20, "
        "tcp_keepalive=True)\n"
        "_session = _bs.Session()\n" + "".join(f"_session.client({name!r}, config=_config)\n" for name in clients)
    )
    return _PROLOGUE + _INTERCEPT + run + _EPILOGUE


def _child_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(DUMMY_ENVIRONMENT)
    # Like the layer: the shared package first on the path (the venv's site-packages come with the interpreter).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "shared"), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(script: str, event_file: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", script, str(event_file)],
        capture_output=True,
        text=True,
        env=_child_environment(),
        cwd=str(ROOT),
        check=True,
        timeout=120,
    )


def run_child(script: str, event_file: Path) -> dict[str, Any]:
    """One fresh process: {"ms": init time, "clients": created, "first_call": "service.Operation" or None}."""
    # The last line: the handler may print before it (EMF metrics flushed on its way out).
    result: dict[str, Any] = json.loads(_run(script, event_file).stdout.strip().splitlines()[-1])
    return result


@dataclass
class ColdStart:
    function_id: str
    clients: list[str]
    first_call: str | None
    handler_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.handler_ms) / statistics.median(self.floor_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "handler_ms_median": round(statistics.median(self.handler_ms), 1),
            "floor_ms_median": round(statistics.median(self.floor_ms), 1),
            "ratio": round(self.ratio, 3),
            "runs": len(self.handler_ms),
            "clients": self.clients,
            "stopped_at_first_call": self.first_call,
        }


def measure_cold_starts(event_files: Mapping[str, Path], runs: int = 7) -> dict[str, ColdStart]:
    """`runs` fresh processes per function and per floor, interleaved so drift hits both alike.

    The first handler run of each function (discarded) compiles .pyc files and tells which clients it creates."""
    results: dict[str, ColdStart] = {}
    for fid, event_file in event_files.items():
        warm = run_child(handler_script(ROOT / HANDLER_PATHS[fid]), event_file)
        clients = list(dict.fromkeys(warm["clients"]))
        results[fid] = ColdStart(fid, clients, warm["first_call"])
        run_child(floor_script(clients), event_file)
    for _ in range(runs):
        for fid, result in results.items():
            event_file = event_files[fid]
            result.floor_ms.append(float(run_child(floor_script(result.clients), event_file)["ms"]))
            result.handler_ms.append(float(run_child(handler_script(ROOT / HANDLER_PATHS[fid]), event_file)["ms"]))
    return results


# -- import-time attribution ------------------------------------------------------------------------------------


@dataclass
class ImportLine:
    module: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None = None


def parse_importtime(stderr: str) -> list[ImportLine]:
    """`python -X importtime` output as lines with their importing parent (the output is post-order)."""
    lines: list[ImportLine] = []
    for raw in stderr.splitlines():
        if not raw.startswith("import time:") or "self [us]" in raw:
            continue
        self_us, cumulative_us, name = raw.removeprefix("import time:").split("|", 2)
        module = name.strip()
        depth = (len(name.rstrip()) - len(module) - 1) // 2
        lines.append(ImportLine(module, int(self_us), int(cumulative_us), depth))
    pending: dict[int, list[ImportLine]] = defaultdict(list)
    for line in lines:
        for child in pending.pop(line.depth + 1, []):
            child.parent = line.module
        pending[line.depth].append(line)
    return lines


def _first_party(module: str | None) -> bool:
    return module is not None and (module == "app" or module.split(".", 1)[0] == "followup")


def import_offenders(result: ColdStart, event_file: Path, top: int = 8) -> dict[str, Any]:
    """Modules the handler imports that the floor does not: the third-party trees entered from first-party code
    (where a lazy import cuts them), first-party modules' own time, and self time grouped by top-level package."""
    handler_stderr = _run(handler_script(ROOT / HANDLER_PATHS[result.function_id]), event_file, "-X", "importtime")
    floor_stderr = _run(floor_script(result.clients), event_file, "-X", "importtime")
    handler = parse_importtime(handler_stderr.stderr)
    floor = {line.module for line in parse_importtime(floor_stderr.stderr)}
    extra = [line for line in handler if line.module not in floor]
    extra_names = {line.module for line in extra}
    roots = [
        line
        for line in extra
        if not _first_party(line.module)
        and (line.parent is None or line.parent not in extra_names or _first_party(line.parent))
    ]
    roots.sort(key=lambda line: line.cumulative_us, reverse=True)
    own = sorted((line for line in extra if _first_party(line.module)), key=lambda line: line.self_us, reverse=True)
    by_package: dict[str, int] = defaultdict(int)
    for line in extra:
        by_package[line.module.split(".", 1)[0]] += line.self_us
    return {
        "extra_import_ms": round(sum(line.self_us for line in extra) / 1000, 1),
        "roots": [
            {"module": line.module, "imported_by": line.parent, "cumulative_ms": round(line.cumulative_us / 1000, 1)}
            for line in roots[:top]
        ],
        "first_party_self_ms": {line.module: round(line.self_us / 1000, 1) for line in own[:5]},
        "by_package_ms": {
            name: round(us / 1000, 1)
            for name, us in sorted(by_package.items(), key=lambda item: item[1], reverse=True)[:top]
        },
    }
