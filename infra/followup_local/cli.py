"""`followup`: the local stack and its tools (README "The local stack").

    followup run [--port N]                       the whole pipeline on 127.0.0.1 (what `make run` starts)
    followup invoke <LogicalId> -e <event.json>   one handler on one event, in-process (twin of `sam local invoke`)
    followup sam-env [--host H] [--out DIR]       env file and ready events for `sam local invoke` on the running stack
    followup preview <interview.json>             the plan and every rendered message; sends nothing
    followup submit <interview.json> --url URL    signs with the webhook secret and posts
    followup clock advance <duration>             moves a running stack's clock (90m, 2d, 1h30m) and fires what is due
    followup outbox                               what a running stack has sent

Exit codes: 0 done, 1 the action failed (refused request, unreachable stack, handler error), 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_HOST = "127.0.0.1"
HTTP_TIMEOUT_SECONDS = 120.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


class CliError(Exception):
    """A failure reported in one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


# -- small helpers ----------------------------------------------------------------------------------------------


def parse_duration(text: str) -> float:
    """Seconds in `90m`, `2d`, `1h30m`, `45s`, `1w` or a plain number of seconds; the clock only moves forward."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    if value.startswith("-"):
        raise argparse.ArgumentTypeError(f"{text!r}: the clock only moves forward")
    parts = _DURATION.findall(value)
    if not parts or "".join(number + unit for number, unit in parts) != value:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration: use e.g. 90m, 2d, 1h30m, 45s or seconds")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def default_url() -> str:
    """FOLLOWUP_URL; else PORT; else the running stack's own address (`.local/stack.json`, written by `followup run`
    while it runs, so a stack on another port needs no --url); else the stack `make run` starts by default (3000)."""
    if os.environ.get("FOLLOWUP_URL"):
        return str(os.environ["FOLLOWUP_URL"])
    if os.environ.get("PORT"):
        return f"http://{DEFAULT_HOST}:{os.environ['PORT']}"
    from followup_local.stackstate import STATE_FILE, process_alive

    with contextlib.suppress(OSError, ValueError, TypeError):
        state = json.loads(STATE_FILE.read_text(encoding="utf-8"))
        url = str(state.get("url") or "")
        if url.startswith(f"http://{DEFAULT_HOST}:") and process_alive(int(state.get("pid") or 0)):
            return url.rstrip("/")
    return f"http://{DEFAULT_HOST}:3000"


def _load_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"file not found: {path}", EXIT_USAGE) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", EXIT_USAGE) from None
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", EXIT_USAGE
        ) from None


def http_request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = HTTP_TIMEOUT_SECONDS,
) -> tuple[int, bytes]:
    """(status, body) of one request; an unreachable stack becomes a CliError that says what to do."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 - CLI URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) given by the user
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(
            f"cannot reach {url}: {reason}. Is `make run` running? Start it, or pass --url with the stack's address."
        ) from None


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return data.decode("utf-8", "replace")


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _stack_state(url: str) -> dict[str, Any]:
    """What a running `followup run` wrote to .local/stack.json, when it is the stack at `url`."""
    from followup_local.stackstate import STATE_FILE

    with contextlib.suppress(OSError, ValueError):
        state = json.loads(STATE_FILE.read_text())
        if isinstance(state, dict) and str(state.get("url", "")).rstrip("/") == url.rstrip("/"):
            return state
    return {}


def _format_local(iso_value: str | None, zone: str) -> str:
    """`Wed 25 Nov 2026 09:00 EST (America/New_York)`: a send time as the person in `zone` reads it."""
    if not iso_value:
        return "-"
    instant = datetime.fromisoformat(iso_value.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return f"{instant:%a %d %b %Y %H:%M} {instant.tzname()} ({zone})"


# -- commands ---------------------------------------------------------------------------------------------------


def command_run(args: argparse.Namespace) -> int:
    from followup_local.server import StackOptions, run, secret_from_environment

    clock_start = _parse_instant(args.clock_start, "--clock-start") if args.clock_start else None
    options = StackOptions(
        port=args.port,
        api_key=secret_from_environment("ApiKeyParameterName"),
        webhook_secret=secret_from_environment("WebhookSecretParameterName"),
        form_key=secret_from_environment("FormKeyParameterName"),
        operator_key=secret_from_environment("OperatorKeyParameterName"),
        clock_start=clock_start,
        log_level=args.log_level.upper(),
        outbox_dir=Path(args.outbox_dir),
        state_file=None if args.no_state_file else Path(args.state_file),
        socket_timeout=args.socket_timeout,
        max_connections=args.max_connections,
    )
    print(f"starting the local stack on http://{DEFAULT_HOST}:{args.port} …", flush=True)
    return run(options)


def _parse_instant(value: str, option: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"{option} {value!r} is not an ISO 8601 instant such as 2026-11-24T21:00:00Z", EXIT_USAGE
        ) from None
    if instant.tzinfo is None:
        raise CliError(f"{option} needs a UTC offset, e.g. 2026-11-24T21:00:00Z", EXIT_USAGE)
    return instant.astimezone(UTC)


def command_invoke(args: argparse.Namespace) -> int:
    from followup_local.invoke import InvokeError, invoke

    # Handler logs go to stderr (invoke points them there): stdout carries only the result, like sam local.
    try:
        outcome = invoke(
            args.logical_id,
            Path(args.event),
            seeds=[Path(seed) for seed in args.seed],
            log_level=args.log_level.upper() if args.log_level else None,
            err=sys.stderr,
            state_file=Path(args.state_file),
            fresh=args.fresh,
        )
    except InvokeError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if not outcome.ok:
        error = outcome.error
        payload = {"errorType": type(error).__name__, "errorMessage": str(error)}
        print(json.dumps(payload, indent=2))
        print(f"{args.logical_id} raised {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(outcome.result, indent=2, ensure_ascii=False, default=str))
    return EXIT_OK


def command_sam_env(args: argparse.Namespace) -> int:
    from followup_local.samenv import SamEnvError, write_sam_env
    from followup_local.stackstate import find_running_stack
    from followup_local.template import load_template

    state_file = Path(args.state_file)
    running, why_not = find_running_stack(state_file)
    if running is None:
        raise CliError(
            f"{why_not or f'no running local stack ({state_file} does not exist)'}: start one with `make run` "
            "(or `followup run`) and run this again where it runs"
        )
    template = load_template()
    out = Path(args.out)
    try:
        written = write_sam_env(
            running.state,
            template,
            out,
            host=args.host,
            events_root=Path(args.events) if args.events else None,
            log_level=args.log_level.upper() if args.log_level else None,
            seed=not args.no_seed,
            say=print,
        )
    except SamEnvError as exc:
        raise CliError(str(exc)) from None
    functions = template.function_ids()
    print(f"wrote {written.env_file}: {len(functions)} functions, AWS_ENDPOINT_URL={written.endpoint}")
    print(
        f"wrote {len(written.events)} events under {out / 'events'}: the stack's secrets filled in, signatures made "
        "now (valid 300 s, accepted once: run `followup sam-env` again for fresh ones)"
    )
    for interview_id in written.absent:
        print(f"note: interview {interview_id} is not in the running stack: the events that name it will find nothing")
    api_events = [path for path in written.events if path.parent.name == "api"]
    example = next((path for path in api_events if path.name == "post-interview.json"), None)
    example = example or (api_events or written.events or [Path("<event.json>")])[0]
    print()
    print("With Docker and SAM CLI, after `make build` (fake credentials: SAM passes its own to the container):")
    print(
        f"  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing sam local invoke ApiFunction --region "
        f"{running.state.region} -e {example} --env-vars {written.env_file}"
    )
    if args.host == DEFAULT_DOCKER_HOST:
        print(
            f"On Linux, where {DEFAULT_DOCKER_HOST} does not reach the host's loopback: `followup sam-env --host "
            "127.0.0.1`, and add `--docker-network host` to `sam local invoke`."
        )
    return EXIT_OK


def command_preview(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from followup.api.views import preview_interview
    from followup.core import clock
    from followup.domain.cadence import plan_follow_ups
    from followup.domain.models import InterviewRequest

    document = _load_json_file(Path(args.interview))
    try:
        request = InterviewRequest.model_validate(document)
    except ValidationError as exc:
        lines = [f"{args.interview} is not a valid interview:"]
        for error in exc.errors():
            location = ".".join(str(part) for part in error.get("loc", ()))
            lines.append(f"  {location or '(top level)'}: {error.get('msg')}")
        raise CliError("\n".join(lines), EXIT_USAGE) from None
    now = _parse_instant(args.now, "--now") if args.now else clock.now()
    preview = preview_interview(request, now)
    if args.json:
        _print_json(preview)
        return EXIT_OK
    candidate_zone = request.candidate_timezone()
    # The preview gives offsets only; the plan (same input, same instant, same result) names each recipient's zone.
    zones = {item.id: item.timezone for item in plan_follow_ups(request, now).follow_ups}
    messages = preview.get("follow_ups", [])
    print(f"Plan for {request.candidate.name}: {request.position.title} at {request.company.name}")
    print(f"as of {now.isoformat(timespec='seconds')}; candidate's time zone {candidate_zone}; nothing is sent")
    print()
    for number, message in enumerate(messages, 1):
        print(f"{number}. {message.get('kind')} to {message.get('to')}")
        zone = zones.get(str(message.get("id")), candidate_zone)
        print(f"     recipient's time  {_format_local(message.get('due_at'), zone)}")
        print(f"     candidate's time  {_format_local(message.get('due_at'), candidate_zone)}")
    if not messages:
        print("No follow-up fits these preferences.")
    warnings = preview.get("warnings") or []
    if warnings:
        print()
        print("Warnings:")
        for warning in warnings:
            print(f"  - {warning}")
    for number, message in enumerate(messages, 1):
        print()
        print(f"── {number}. {message.get('kind')} to {message.get('to')} " + "─" * 20)
        for finding in message.get("findings") or []:
            # The message linter's findings: "hard" ones stop the send, the rest are advice.
            print(f"[{finding.get('severity')}] {finding.get('rule')}: {finding.get('message')}")
        print(f"Subject: {message.get('subject')}")
        print()
        print(str(message.get("text", "")).rstrip())
    return EXIT_OK


def command_submit(args: argparse.Namespace) -> int:
    from followup.api.auth import sign

    path = Path(args.interview)
    _load_json_file(path)  # a clear error for a missing or malformed file before anything is sent
    body = path.read_bytes()
    url = args.url.rstrip("/")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    state = _stack_state(url)
    secret = args.secret or os.environ.get("FOLLOWUP_WEBHOOK_SECRET") or state.get("webhook_secret")
    if args.api_key:
        headers["Authorization"] = f"Bearer {args.api_key}"
    elif secret:
        signature = sign(secret, body, _signing_time())
        if args.candidate:
            signature = signature.replace(",v1=", f",k={args.candidate},v1=", 1)
        headers["X-Followup-Signature"] = signature
    else:
        raise CliError(
            "no webhook secret: pass --secret, or set FOLLOWUP_WEBHOOK_SECRET to the value `make run` printed",
            EXIT_USAGE,
        )
    status, data = http_request("POST", f"{url}/interviews", body=body, headers=headers)
    print(f"HTTP {status}", file=sys.stderr)
    _print_json(_json_or_text(data))
    if 200 <= status < 300:
        if state or url.startswith(f"http://{DEFAULT_HOST}"):
            print(f"next: followup clock advance 2d, then open {url}/_local/outbox.html", file=sys.stderr)
        return EXIT_OK
    return EXIT_FAILED


def _signing_time() -> int:
    """Real time: the signer is outside the stack, and a local stack measures the window against real time too,
    however far its virtual clock has moved (CONTRACT §2)."""
    return int(time.time())


def command_clock(args: argparse.Namespace) -> int:
    url = args.url.rstrip("/")
    if args.clock_command == "advance":
        payload = json.dumps({"seconds": args.duration}).encode()
        status, data = http_request(
            "POST", f"{url}/_local/clock/advance", body=payload, headers={"Content-Type": "application/json"}
        )
        answer = _json_or_text(data)
        if status != 200:
            _print_json(answer)
            return EXIT_FAILED
        print(f"clock now {answer['now']}; fired {answer['fired']} schedule(s)")
        return EXIT_OK
    status, data = http_request("GET", f"{url}/_local/clock")
    answer = _json_or_text(data)
    if status != 200:
        _print_json(answer)
        return EXIT_FAILED
    print(answer["now"])
    return EXIT_OK


def command_outbox(args: argparse.Namespace) -> int:
    url = args.url.rstrip("/")
    status, data = http_request("GET", f"{url}/_local/outbox")
    messages = _json_or_text(data)
    if status != 200 or not isinstance(messages, list):
        _print_json(messages)
        return EXIT_FAILED
    if args.json:
        _print_json(messages)
        return EXIT_OK
    if not messages:
        print("the outbox is empty: submit an interview, then `followup clock advance 2d`")
        return EXIT_OK
    for message in messages:
        kind = message.get("tags", {}).get("kind", "message")
        print(f"{message.get('sent_at')}  {kind:<26} to {', '.join(message.get('to', []))}")
        print(f"    {message.get('subject')}")
        if args.full:
            print()
            for line in str(message.get("text", "")).rstrip().splitlines():
                print(f"    | {line}")
            print()
    print(f"{len(messages)} message(s); read them at {url}/_local/outbox.html")
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------------------------

# The gateway's defaults (followup_local.server), repeated so `followup --help` does not import the stack.
SOCKET_TIMEOUT_DEFAULT = 10.0
MAX_CONNECTIONS_DEFAULT = 32
# Where a container reaches the host (Docker Desktop); followup_local.samenv.DEFAULT_HOST.
DEFAULT_DOCKER_HOST = "host.docker.internal"


def _positive(kind: type[float] | type[int]) -> Any:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0 or value > 3600:
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0 and at most 3600")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The `followup` argument parser (one subcommand each, each with --help)."""
    parser = argparse.ArgumentParser(
        prog="followup",
        description="Interview follow-ups: the local stack and its tools (no AWS account, no Docker).",
        epilog="Start with `followup run` (or `make run`), then open the form link it prints.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="start the local stack (what `make run` starts)",
        description="Start the whole pipeline on 127.0.0.1 against embedded AWS (moto): form, API, planner, "
        "scheduler, sender and outbox, on a virtual clock. Secrets come from FOLLOWUP_API_KEY, "
        "FOLLOWUP_WEBHOOK_SECRET, FOLLOWUP_FORM_KEY and FOLLOWUP_OPERATOR_KEY (random when unset). Ctrl-C stops it.",
    )
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000), help="default: $PORT or 3000")
    run.add_argument(
        "--clock-start",
        default=os.environ.get("FOLLOWUP_CLOCK_START"),
        metavar="ISO",
        help="start the virtual clock at this instant, e.g. 2026-11-24T21:00:00Z (default: now; $FOLLOWUP_CLOCK_START)",
    )
    run.add_argument(
        "--log-level",
        default=os.environ.get("FOLLOWUP_LOG_LEVEL", "WARNING"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
        help="the functions' log level (default: WARNING; $FOLLOWUP_LOG_LEVEL)",
    )
    run.add_argument("--outbox-dir", default=".local/outbox", help="where sent messages go as .eml files")
    run.add_argument(
        "--state-file", default=".local/stack.json", help="where the URL and secrets are written for `followup submit`"
    )
    run.add_argument("--no-state-file", action="store_true", help="do not write the state file")
    run.add_argument(
        "--socket-timeout",
        type=_positive(float),
        default=SOCKET_TIMEOUT_DEFAULT,
        metavar="SECONDS",
        help="a client that sends nothing for this long is disconnected; a request must arrive within 3 times it "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--max-connections",
        type=_positive(int),
        default=MAX_CONNECTIONS_DEFAULT,
        metavar="N",
        help="connections served at once; more get 503 (default: %(default)s)",
    )
    run.set_defaults(handler=command_run)

    invoke = commands.add_parser(
        "invoke",
        help="run one function's handler on one event, in-process",
        description="Run a function of template.yaml on an event, like `sam local invoke` without Docker; prints "
        "the handler's result as JSON. When a local stack is running (`make run`, found through its "
        ".local/stack.json), the handler runs against that stack's embedded AWS and clock: same state, nothing "
        "provisioned. Otherwise (or --fresh) it runs against a fresh embedded AWS provisioned from template.yaml. "
        "In API events, "
        "${FOLLOWUP_API_KEY}, ${FOLLOWUP_FORM_KEY} and ${FOLLOWUP_WEBHOOK_SECRET} become this run's secrets and "
        "an X-Followup-Signature of ${FOLLOWUP_SIGNATURE} a fresh signature of the body. An interview the event "
        "names is first created from the matching event in events/planner/ (or --seed).",
    )
    invoke.add_argument("logical_id", metavar="LogicalId", help="e.g. ApiFunction, PlannerFunction, SenderFunction")
    invoke.add_argument("-e", "--event", required=True, metavar="EVENT_JSON", help="the event file")
    invoke.add_argument(
        "--seed", action="append", default=[], metavar="EVENT_JSON", help="an EventBridge event to deliver first"
    )
    invoke.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
        help="the functions' log level (default: the template's LogLevel); logs go to stderr",
    )
    invoke.add_argument("--fresh", action="store_true", help="a fresh embedded AWS even when a local stack is running")
    invoke.add_argument(
        "--state-file",
        default=".local/stack.json",
        metavar="PATH",
        help="how a running local stack is found (default: %(default)s, written by `followup run`)",
    )
    invoke.set_defaults(handler=command_invoke)

    sam_env = commands.add_parser(
        "sam-env",
        help="write `sam local invoke --env-vars` and ready events for the running local stack",
        description="For `sam local invoke` (Docker) against the running local stack's embedded AWS: writes "
        "<out>/env.json (SAM's --env-vars: for each function every variable its template Environment declares, "
        "with the running stack's real table names, queue ARNs, bus, schedule group, role ARN and SSM parameter "
        "names, and AWS_ENDPOINT_URL pointing at the stack's embedded AWS through --host) and <out>/events/ (every "
        "event of events/ with the stack's real secrets and fresh signatures), and creates in the stack the "
        "interviews those events name. Run it where `make run` runs; run it again after restarting the stack.",
    )
    sam_env.add_argument(
        "--host",
        default=DEFAULT_DOCKER_HOST,
        help="the host name a container reaches this machine by (default: %(default)s, Docker Desktop; on Linux "
        "use 127.0.0.1 with `sam local invoke --docker-network host`)",
    )
    sam_env.add_argument("--out", default=".local/sam", metavar="DIR", help="output folder (default: %(default)s)")
    sam_env.add_argument("--events", metavar="DIR", help="the events to make ready (default: the repository's events/)")
    sam_env.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
        help="POWERTOOLS_LOG_LEVEL in the env file (default: the template's LogLevel)",
    )
    sam_env.add_argument(
        "--no-seed", action="store_true", help="do not create in the stack the interviews the events name"
    )
    sam_env.add_argument(
        "--state-file",
        default=".local/stack.json",
        metavar="PATH",
        help="how the running local stack is found (default: %(default)s, written by `followup run`)",
    )
    sam_env.set_defaults(handler=command_sam_env)

    preview = commands.add_parser(
        "preview",
        help="print the plan and every rendered message (sends nothing)",
        description="Plan an interview (the API's interview JSON) and print every message with its send time in the "
        "recipient's and the candidate's time zones. Nothing is stored or sent.",
    )
    preview.add_argument("interview", help="interview JSON file, e.g. examples/interview.json")
    preview.add_argument("--now", metavar="ISO", help="plan as if submitted at this instant (default: now)")
    preview.add_argument("--json", action="store_true", help="print the preview as JSON (as POST /preview does)")
    preview.set_defaults(handler=command_preview)

    submit = commands.add_parser(
        "submit",
        help="sign an interview with the webhook secret and POST it",
        description="POST an interview to /interviews signed with X-Followup-Signature (the webhook secret from "
        "--secret, $FOLLOWUP_WEBHOOK_SECRET, or the running local stack's .local/stack.json).",
    )
    submit.add_argument("interview", help="interview JSON file")
    submit.add_argument("--url", default=default_url(), help="the stack or API base URL (default: %(default)s)")
    submit.add_argument("--secret", help="webhook secret (default: $FOLLOWUP_WEBHOOK_SECRET)")
    submit.add_argument("--api-key", help="send 'Authorization: Bearer <key>' instead of a signature")
    submit.add_argument(
        "--candidate",
        help="a created candidate's id: the signature names them (k=<id>); pass their webhook secret with --secret",
    )
    submit.add_argument("--idempotency-key", help="Idempotency-Key header: a retry with the same key is safe")
    submit.set_defaults(handler=command_submit)

    clock = commands.add_parser(
        "clock", help="read or advance a running stack's clock", description="The local stack's virtual clock."
    )
    clock_commands = clock.add_subparsers(dest="clock_command", metavar="ACTION", required=True)
    advance = clock_commands.add_parser(
        "advance",
        help="move the clock forward and fire everything due",
        description="Move the local stack's clock forward; every schedule due on the way fires, in due order.",
    )
    advance.add_argument("duration", type=parse_duration, help="e.g. 90m, 2d, 1h30m, 45s, or seconds")
    advance.add_argument("--url", default=default_url(), help="the local stack (default: %(default)s)")
    advance.set_defaults(handler=command_clock)
    show = clock_commands.add_parser("show", help="print the stack's current time", description="Print the time.")
    show.add_argument("--url", default=default_url(), help="the local stack (default: %(default)s)")
    show.set_defaults(handler=command_clock)

    outbox = commands.add_parser(
        "outbox",
        help="list what a running stack has sent",
        description="List the local stack's outbox (every SendEmail request, captured whole).",
    )
    outbox.add_argument("--url", default=default_url(), help="the local stack (default: %(default)s)")
    outbox.add_argument("--full", action="store_true", help="print each message's text too")
    outbox.add_argument("--json", action="store_true", help="print the outbox as JSON")
    outbox.set_defaults(handler=command_outbox)

    redrive = commands.add_parser(
        "redrive",
        help="move dead-lettered follow-ups back to the send queue",
        description="Move every message of one or more dead-letter queues (the send DLQ, the scheduler DLQ) back to "
        "the send queue, so the sender tries them again (its claim makes a repeat harmless). Uses your AWS "
        "credentials, or --endpoint-url for the local stack's embedded AWS.",
    )
    redrive.add_argument("--from-queue-url", action="append", required=True, help="a dead-letter queue (repeatable)")
    redrive.add_argument("--to-queue-url", required=True, help="the send queue")
    redrive.add_argument("--region", default=None, help="AWS region (default: your configuration)")
    redrive.add_argument("--endpoint-url", default=None, help="another SQS endpoint (e.g. the local stack's)")
    redrive.set_defaults(handler=command_redrive)
    return parser


def command_redrive(args: argparse.Namespace) -> int:
    import boto3

    from followup.adapters.sqs import move_messages

    client = boto3.client("sqs", region_name=args.region, endpoint_url=args.endpoint_url)
    total = 0
    for source in args.from_queue_url:
        moved = move_messages(client, source, args.to_queue_url)
        print(f"moved {moved} message(s) from {source}")
        total += moved
    print(f"{total} message(s) back on {args.to_queue_url}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `followup` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CliError as exc:
        print(f"followup {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `followup preview x.json | head`: the reader left; not an error worth a traceback.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
