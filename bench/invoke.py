"""`followup invoke` wall time, as a person waits for it: a fresh `followup invoke <LogicalId> -e <event>` process,
timed from spawn to exit, in its two modes:

- fresh: no local stack running (`--fresh`): a fresh embedded AWS provisioned from template.yaml in the process;
- on the running stack: a `followup run` stack is up (started once, untimed) and `followup invoke` runs the handler
  against its embedded AWS.

Against two floors measured in the same run, interleaved: `python -c pass` (the interpreter alone) and a process that
only imports the function's handler module by file path under the function's environment, as Lambda's runtime does
(the least any in-process invocation pays). Ratios are against the handler-import floor.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.coldstart import DUMMY_ENVIRONMENT, HANDLER_PATHS

ROOT = Path(__file__).resolve().parents[1]
# One real event per function (events/, CONTRACT §6).
EVENTS: dict[str, str] = {
    "ApiFunction": "events/api/post-interview.json",
    "PlannerFunction": "events/planner/interview-submitted.json",
    "SenderFunction": "events/sender/due-thank-you.json",
    "FeedbackFunction": "events/feedback/bounce-permanent.json",
}
# The sample interview's thank-you due and inside its recipient's window: the stack's sender event really sends.
STACK_CLOCK_START = "2026-11-25T15:00:00Z"
STARTUP_TIMEOUT_SECONDS = 60.0

_IMPORT_HANDLER = """\
import importlib.util, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec); sys.modules["app"] = module; spec.loader.exec_module(module)
"""


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "FOLLOWUP_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds from spawn to exit; a failed run stops the benchmark with its output."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env or _environment(), capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def _invoke_command(function_id: str, *extra: str) -> list[str]:
    event = ROOT / EVENTS[function_id]
    return [sys.executable, "-m", "followup_local.cli", "invoke", function_id, "-e", str(event), *extra]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_stack(workdir: Path) -> Iterator[str]:
    """A `followup run` stack in `workdir` (its .local/stack.json there); yields its URL; SIGTERM at the end."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "followup_local.cli", "run", "--port", str(port)]
    command += ["--clock-start", STACK_CLOCK_START]
    log = workdir / "stack.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=workdir, env=_environment(), stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"followup run did not start:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_local/clock", timeout=2):  # noqa: S310 - loopback
                    pass
                if (workdir / ".local" / "stack.json").exists():
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def measure_invoke(runs: int = 3) -> dict[str, Any]:
    """Median wall seconds per function in both modes and for both floors, `runs` times each, interleaved; the first
    run of each (compiling .pyc files, seeding the stack) is discarded."""
    floor_env = {**_environment(), **DUMMY_ENVIRONMENT, "PYTHONPATH": str(ROOT / "shared")}
    samples: dict[str, dict[str, list[float]]] = {
        fid: {"fresh": [], "attached": [], "handler_import": []} for fid in EVENTS
    }
    python_pass: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-invoke-") as directory, running_stack(Path(directory)) as url:
        stack_dir = Path(directory)
        empty_dir = stack_dir / "elsewhere"  # no .local/stack.json here: what --fresh also guarantees
        empty_dir.mkdir()
        for round_ in range(runs + 1):
            for fid in EVENTS:
                handler = [sys.executable, "-c", _IMPORT_HANDLER, str(ROOT / HANDLER_PATHS[fid])]
                timings = {
                    "handler_import": _timed(handler, cwd=ROOT, env=floor_env),
                    "fresh": _timed(_invoke_command(fid, "--fresh"), cwd=empty_dir),
                    "attached": _timed(_invoke_command(fid), cwd=stack_dir),
                }
                if round_:
                    for mode, seconds in timings.items():
                        samples[fid][mode].append(seconds)
            seconds = _timed([sys.executable, "-c", "pass"], cwd=ROOT)
            if round_:
                python_pass.append(seconds)
    per_function = {
        fid: {mode: round(statistics.median(values), 3) for mode, values in modes.items()}
        for fid, modes in samples.items()
    }
    floor = statistics.median(v["handler_import"] for v in per_function.values())
    fresh = statistics.median(v["fresh"] for v in per_function.values())
    attached = statistics.median(v["attached"] for v in per_function.values())
    return {
        "runs": runs,
        "events": EVENTS,
        "stack": url,
        "per_function_s": per_function,
        "fresh_s": round(fresh, 3),
        "attached_s": round(attached, 3),
        "floor_handler_import_s": round(floor, 3),
        "floor_python_pass_s": round(statistics.median(python_pass), 3),
        "ratio": {"fresh": round(fresh / floor, 3), "attached": round(attached / floor, 3)},
        "ratio_to_python_pass": {
            "fresh": round(fresh / statistics.median(python_pass), 1),
            "attached": round(attached / statistics.median(python_pass), 1),
        },
    }


if __name__ == "__main__":
    print(json.dumps(measure_invoke(int(os.environ.get("BENCH_INVOKE_RUNS", 3))), indent=2))
