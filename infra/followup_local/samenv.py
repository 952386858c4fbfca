"""`followup sam-env`: what `sam local invoke` (Docker) needs to run a function against the running local stack.

From the running stack's `.local/stack.json` (stackstate.py) it writes, under `--out` (default `.local/sam/`):

- `env.json`, SAM's `--env-vars` file: one entry per function logical id with every variable that function's
  template Environment declares (Globals merged), valued as the running stack resolved it (table names, queue ARNs,
  bus, schedule group, scheduler role ARN, configuration set, SSM parameter names, ...), and `AWS_ENDPOINT_URL` set to
  the stack's embedded AWS as the container reaches it (`--host`, default `host.docker.internal`), also under
  `"Parameters"` (SAM applies that entry to every function). SAM sets only variables the template declares, which is
  why template.yaml declares `AWS_ENDPOINT_URL` (empty on AWS). Credentials and region are not variables SAM lets a
  file set: it passes its own session's (the README shows the fake ones to use);
- `events/<folder>/<name>.json`: every event of `events/` with the placeholders filled with the running stack's
  secrets and `${FOLLOWUP_SIGNATURE}` replaced by a real signature made now (valid 300 s, and accepted once: run
  `followup sam-env` again for fresh ones);
- and, unless `--no-seed`, it creates in the running stack each interview an event names (from the matching
  planner event, through the stack's own bus and planner), so those events find it.

The secrets are in the events: the folder is private (0700) and its files 0600.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from followup_local.invoke import (
    load_event_file,
    planner_events,
    referenced_interviews,
    sign_placeholder,
    substitute_placeholders,
)
from followup_local.outbox_page import make_private
from followup_local.stackstate import StackState
from followup_local.template import SamTemplate

DEFAULT_OUT = Path(".local") / "sam"
DEFAULT_HOST = "host.docker.internal"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
LOG_LEVEL_VARIABLE = "POWERTOOLS_LOG_LEVEL"
SEED_WAIT_SECONDS = 30.0


class SamEnvError(Exception):
    """The running stack does not match the template (or cannot be reached): said in one line."""


def container_endpoint(aws_endpoint: str, host: str) -> str:
    """The stack's embedded AWS endpoint with its host replaced by the one a container reaches it by."""
    parts = urlsplit(aws_endpoint)
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{host}{port}", parts.path, "", ""))


def env_vars(state: StackState, template: SamTemplate, *, host: str, log_level: str | None = None) -> dict[str, Any]:
    """SAM's --env-vars document for every function of the template, from the running stack's resolved values."""
    endpoint = container_endpoint(state.aws_endpoint, host)
    level = log_level or str(template.parameters.get("LogLevel", {}).get("Default", "INFO"))
    document: dict[str, Any] = {"Parameters": {ENDPOINT_VARIABLE: endpoint}}
    for logical_id in template.function_ids():
        resolved = state.functions.get(logical_id)
        if resolved is None:
            raise SamEnvError(
                f"the running stack has no {logical_id} (template.yaml changed since it started): restart it"
            )
        variables: dict[str, str] = {}
        for name in template.function(logical_id).environment:
            if name == ENDPOINT_VARIABLE:
                variables[name] = endpoint
            elif name == LOG_LEVEL_VARIABLE:
                variables[name] = level.upper()
            elif name in resolved:
                variables[name] = resolved[name]
            else:
                raise SamEnvError(
                    f"the running stack has no value for {logical_id}'s {name} (template.yaml changed since it "
                    "started): restart it"
                )
        document[logical_id] = variables
    return document


def ready_events(events_root: Path, secrets: Mapping[str, str], signing_time: int) -> dict[Path, Any]:
    """Every `<folder>/<name>.json` under `events_root`, placeholders filled and signatures made (relative path →
    event)."""
    ready: dict[Path, Any] = {}
    for path in sorted(events_root.glob("*/*.json")):
        event = substitute_placeholders(load_event_file(path), dict(secrets))
        ready[path.relative_to(events_root)] = sign_placeholder(event, secrets["webhook_secret"], signing_time)
    return ready


def _write_private(path: Path, document: Any) -> None:
    make_private(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


@dataclass
class SamEnv:
    """What `write_sam_env` wrote and did."""

    env_file: Path
    endpoint: str
    events: list[Path] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


def write_sam_env(
    state: StackState,
    template: SamTemplate,
    out: Path,
    *,
    host: str = DEFAULT_HOST,
    events_root: Path | None = None,
    log_level: str | None = None,
    seed: bool = True,
    say: Callable[[str], None] = lambda line: None,
) -> SamEnv:
    """Write env.json and the ready events under `out`; seed the interviews they name into the running stack."""
    events_root = events_root or template.root / "events"
    document = env_vars(state, template, host=host, log_level=log_level)
    for folder in (out / "events").glob("*"):
        # Events of an earlier run (a renamed or deleted event must not linger with stale secrets).
        for stale in folder.glob("*.json"):
            stale.unlink()
    make_private(out)
    result = SamEnv(env_file=out / "env.json", endpoint=document["Parameters"][ENDPOINT_VARIABLE])
    _write_private(result.env_file, document)
    events = ready_events(events_root, state.secrets, int(time.time()))
    for relative, event in events.items():
        target = out / "events" / relative
        _write_private(target, event)
        result.events.append(target)
    if seed:
        wanted = list(dict.fromkeys(i for event in events.values() for i in referenced_interviews(event)))
        _seed(state, events_root, wanted, result, say)
    return result


def _seed(state: StackState, events_root: Path, wanted: list[str], result: SamEnv, say: Callable[[str], None]) -> None:
    """Put each missing interview's planner event on the running stack's bus; its router and planner store it."""
    if not wanted:
        return
    import boto3

    from followup.adapters.dynamodb import FollowUpTable

    client_kwargs: dict[str, Any] = {
        "region_name": state.region,
        "endpoint_url": state.aws_endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    table = FollowUpTable(boto3.client("dynamodb", **client_kwargs), state.physical["FollowUpTable"])
    events = boto3.client("events", **client_kwargs)
    known = planner_events(events_root / "planner")
    for interview_id in wanted:
        if table.load_interview(interview_id) is not None:
            continue
        source = known.get(interview_id)
        if source is None:
            result.absent.append(interview_id)
            continue
        event = load_event_file(source)
        events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event.get("detail", {})),
                    "EventBusName": state.physical.get("EventBus", "default"),
                }
            ]
        )
        deadline = time.monotonic() + SEED_WAIT_SECONDS
        while table.load_interview(interview_id) is None:
            if time.monotonic() >= deadline:
                result.absent.append(interview_id)
                break
            time.sleep(0.2)
        else:
            result.seeded.append(interview_id)
            say(f"seeded interview {interview_id} into the running stack from {source.relative_to(events_root.parent)}")
