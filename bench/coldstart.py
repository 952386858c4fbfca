"""Cold start: a fresh Python process that loads one function's handler module by file path (as the Lambda
runtime does) and builds what its first request builds before its first AWS call (settings, clients), against
a fresh process that imports boto3 and creates the same clients.

Both are timed inside the child from its first statement, so the interpreter's own start-up (the same for
both, and done by the Lambda runtime before INIT) does not dilute the ratio.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Per function: handler file, the clients its first request creates, and the code that builds its warm state.
FUNCTIONS: dict[str, dict[str, Any]] = {
    "ApiFunction": {
        "path": "functions/api/app.py",
        "clients": ["dynamodb", "events", "ssm"],
        "init": "from followup.http_api import dependencies\nd = dependencies()\nd.table; d.publisher; d.secrets",
    },
    "PlannerFunction": {
        "path": "functions/planner/app.py",
        "clients": ["dynamodb", "scheduler"],
        "init": "from followup.planner_handler import _services\n_services()",
    },
    "SenderFunction": {
        "path": "functions/sender/app.py",
        "clients": ["dynamodb", "sesv2"],
        "init": "from followup.sender_handler import _sender\n_sender()",
    },
}

# What Lambda would set from template.yaml (values are dummies: nothing here calls AWS).
DUMMY_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "followup",
    "POWERTOOLS_LOG_LEVEL": "INFO",
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
    "API_KEY_PARAMETER": "/followup/api-key",
    "WEBHOOK_SECRET_PARAMETER": "/followup/webhook-secret",
    "FORM_KEY_PARAMETER": "/followup/form-key",
    "LINK_SECRET_PARAMETER": "/followup/link-secret",
    "RETENTION_DAYS": "180",
    "PUBLIC_BASE_URL": "https://api.example.com",
}

_CLOCK = "import time as _t\n_start = _t.perf_counter()\n"
_REPORT = "\nimport json as _j, sys as _s\n_s.stdout.write(_j.dumps({'ms': (_t.perf_counter() - _start) * 1000}))\n"


def handler_script(function_id: str) -> str:
    spec = FUNCTIONS[function_id]
    path = ROOT / spec["path"]
    load = (
        "import importlib.util as _u, sys as _sys\n"
        f"_spec = _u.spec_from_file_location('app', {str(path)!r})\n"
        "_m = _u.module_from_spec(_spec); _sys.modules['app'] = _m; _spec.loader.exec_module(_m)\n"
        "assert callable(_m.lambda_handler)\n"
    )
    return _CLOCK + load + spec["init"] + _REPORT


def floor_script(function_id: str) -> str:
    clients = FUNCTIONS[function_id]["clients"]
    body = (
        "import boto3\nfrom botocore.config import Config\n"
        "_c = Config(retries={'mode': 'adaptive', 'max_attempts': 5}, connect_timeout=5, read_timeout=20, "
        "tcp_keepalive=True)\n"
        "_s = boto3.session.Session()\n" + "".join(f"_s.client({name!r}, config=_c)\n" for name in clients)
    )
    return _CLOCK + body + _REPORT


def _child_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(DUMMY_ENVIRONMENT)
    # Like the layer: the shared package first on the path (the venv's site-packages come with the interpreter).
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "shared"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(script: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", script],
        capture_output=True,
        text=True,
        env=_child_environment(),
        cwd=str(ROOT),
        check=True,
        timeout=120,
    )


def time_script(script: str) -> float:
    """Milliseconds from the child's first statement to the end of its init."""
    return float(json.loads(_run(script).stdout)["ms"])


@dataclass
class ColdStart:
    function_id: str
    handler_ms: list[float]
    floor_ms: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.handler_ms) / statistics.median(self.floor_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "handler_ms_median": round(statistics.median(self.handler_ms), 1),
            "floor_ms_median": round(statistics.median(self.floor_ms), 1),
            "ratio": round(self.ratio, 3),
            "runs": len(self.handler_ms),
        }


def measure_cold_starts(runs: int = 7) -> dict[str, ColdStart]:
    """`runs` fresh processes per function and per floor, interleaved so drift hits both alike."""
    results = {fid: ColdStart(fid, [], []) for fid in FUNCTIONS}
    for fid in FUNCTIONS:  # warm-up: compile .pyc files, fill the OS page cache
        time_script(handler_script(fid))
        time_script(floor_script(fid))
    for _ in range(runs):
        for fid, result in results.items():
            result.floor_ms.append(time_script(floor_script(fid)))
            result.handler_ms.append(time_script(handler_script(fid)))
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


def import_offenders(function_id: str, top: int = 8) -> dict[str, Any]:
    """Modules the handler imports that the floor does not, as the roots of their import trees (where a lazy
    import would cut them), and their self time grouped by top-level package."""
    handler = parse_importtime(_run(handler_script(function_id), "-X", "importtime").stderr)
    floor = {line.module for line in parse_importtime(_run(floor_script(function_id), "-X", "importtime").stderr)}
    extra = [line for line in handler if line.module not in floor]
    extra_names = {line.module for line in extra}
    # Where a lazy import would cut: a third-party tree entered from first-party code (or from nowhere extra).
    roots = [
        line
        for line in extra
        if not _first_party(line.module)
        and (line.parent is None or line.parent not in extra_names or _first_party(line.parent))
    ]
    roots.sort(key=lambda line: line.cumulative_us, reverse=True)
    by_package: dict[str, int] = defaultdict(int)
    for line in extra:
        by_package[line.module.split(".", 1)[0]] += line.self_us
    return {
        "extra_import_ms": round(sum(line.self_us for line in extra) / 1000, 1),
        "roots": [
            {"module": line.module, "imported_by": line.parent, "cumulative_ms": round(line.cumulative_us / 1000, 1)}
            for line in roots[:top]
        ],
        "by_package_ms": {
            name: round(us / 1000, 1)
            for name, us in sorted(by_package.items(), key=lambda item: item[1], reverse=True)[:top]
        },
    }
