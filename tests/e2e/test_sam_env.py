"""`followup sam-env` against a running local stack: the env file covers every variable template.yaml declares, with
the stack's real values; the events carry its real secrets; and each event runs against the stack's state both the
way `sam local invoke` would run it (no Docker here: a clean process with exactly the environment SAM would build
from the env file) and through `followup invoke`.

What SAM does with `--env-vars` (samcli/local/lambdafn/env_vars.py, samcli/commands/local/lib/local_lambda.py): the
container gets SAM's AWS_* defaults (credentials and region from SAM's own session, AWS_SAM_LOCAL=true, ...), then
every variable the function's template Environment declares, valued from the file's function entry, else its
"Parameters" entry, else the template (an unresolved intrinsic becomes ""). A variable the template does not declare
is never set.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from followup_local.template import load_template
from tests.conftest import EVENTS, ROOT
from tests.e2e.conftest import RunningStack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

TEMPLATE = load_template()
FUNCTION_BY_FOLDER = {"api": "ApiFunction", "planner": "PlannerFunction", "sender": "SenderFunction"}
FUNCTION_BY_FOLDER["feedback"] = "FeedbackFunction"
EVENT_FILES = sorted(path.relative_to(EVENTS) for path in EVENTS.glob("*/*.json"))
SAMPLE_INTERVIEW = "01a20f5bbc805eedc0ffee"  # named by events/api/get-interview.json and events/sender/


@dataclass
class Generated:
    """One `followup sam-env` run: its output folder and what it printed."""

    out: Path
    stdout: str

    @property
    def env(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.out / "env.json").read_text())
        return document

    def event(self, relative: Path) -> Path:
        return self.out / "events" / relative


def sam_env(stack: RunningStack, out: Path, *extra: str) -> Generated:
    done = subprocess.run(
        [sys.executable, "-m", "followup_local.cli", "sam-env", "--out", str(out), *extra],
        cwd=stack.workdir,  # where the stack runs: its .local/stack.json is found there
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return Generated(out, done.stdout)


@dataclass
class Setup:
    stack: RunningStack
    state: dict[str, Any]
    for_sam: Generated  # --host 127.0.0.1: this machine is the "container"
    for_invoke: Generated  # a second set: signed events are accepted once
    docker_default: Generated


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    stack = start_stack(tmp_path_factory.mktemp("samenv"))
    try:
        workdir = stack.workdir
        yield Setup(
            stack=stack,
            state=json.loads((workdir / ".local" / "stack.json").read_text()),
            for_sam=sam_env(stack, workdir / "sam", "--host", "127.0.0.1"),
            for_invoke=sam_env(stack, workdir / "sam-invoke", "--host", "127.0.0.1"),
            docker_default=sam_env(stack, workdir / "sam-docker", "--no-seed"),
        )
    finally:
        stop_stack(stack)


# -- the env file -----------------------------------------------------------------------------------------------


def test_the_env_file_sets_every_declared_variable_of_every_function(setup: Setup) -> None:
    env = setup.for_sam.env
    endpoint = setup.state["aws_endpoint"]  # this machine reaches the embedded AWS at its own address

    assert set(env) == {"Parameters", *TEMPLATE.function_ids()}
    assert env["Parameters"] == {"AWS_ENDPOINT_URL": endpoint}
    for logical_id in TEMPLATE.function_ids():
        declared = TEMPLATE.function(logical_id).environment  # Globals merged with the function's own
        variables = env[logical_id]
        assert set(variables) == set(declared), logical_id
        for name, value in variables.items():
            assert isinstance(value, str), (logical_id, name)
            assert "${" not in value, (logical_id, name)  # no Sub, Ref or GetAtt left
            assert "Fn::" not in value, (logical_id, name)
            assert "Ref" not in value, (logical_id, name)
        assert variables["AWS_ENDPOINT_URL"] == endpoint
        expected = {k: v for k, v in setup.state["functions"][logical_id].items() if k in declared}
        expected["POWERTOOLS_LOG_LEVEL"] = "INFO"
        assert variables == expected, logical_id


def test_the_env_file_names_resources_the_stack_really_has(setup: Setup) -> None:
    import boto3

    env = setup.for_sam.env["SenderFunction"]
    aws = {
        "region_name": setup.state["region"],
        "endpoint_url": setup.state["aws_endpoint"],
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    boto3.client("dynamodb", **aws).describe_table(TableName=env["TABLE_NAME"])
    boto3.client("dynamodb", **aws).describe_table(TableName=env["IDEMPOTENCY_TABLE_NAME"])
    boto3.client("events", **aws).describe_event_bus(Name=env["EVENT_BUS_NAME"])
    boto3.client("scheduler", **aws).get_schedule_group(Name=env["SCHEDULE_GROUP_NAME"])
    boto3.client("iam", **aws).get_role(RoleName=env["SCHEDULER_ROLE_ARN"].rsplit("/", 1)[1])
    sqs = boto3.client("sqs", **aws)
    for arn in (env["SEND_QUEUE_ARN"], env["SCHEDULER_DLQ_ARN"]):
        sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])
    ssm = boto3.client("ssm", **aws)
    api_key = ssm.get_parameter(Name=env["API_KEY_PARAMETER"], WithDecryption=True)["Parameter"]["Value"]
    assert api_key == setup.stack.api_key
    ssm.get_parameter(Name=env["LINK_SECRET_PARAMETER"], WithDecryption=True)
    boto3.client("sesv2", **aws).get_configuration_set(ConfigurationSetName=env["SES_CONFIGURATION_SET"])


def test_by_default_the_endpoint_is_the_docker_hosts_name(setup: Setup) -> None:
    port = setup.state["aws_endpoint"].rsplit(":", 1)[1]
    env = setup.docker_default.env

    assert env["Parameters"]["AWS_ENDPOINT_URL"] == f"http://host.docker.internal:{port}"
    assert {env[fid]["AWS_ENDPOINT_URL"] for fid in TEMPLATE.function_ids()} == {f"http://host.docker.internal:{port}"}
    assert "sam local invoke ApiFunction" in setup.docker_default.stdout
    assert "--docker-network host" in setup.docker_default.stdout


# -- the events -------------------------------------------------------------------------------------------------


def test_the_events_carry_the_stacks_real_secrets(setup: Setup) -> None:
    for relative in EVENT_FILES:
        text = setup.for_sam.event(relative).read_text()
        assert "${" not in text, relative
        assert "%24%7B" not in text.upper(), relative
    post = json.loads(setup.for_sam.event(Path("api/post-interview.json")).read_text())
    assert post["headers"]["authorization"] == f"Bearer {setup.stack.api_key}"
    form = json.loads(setup.for_sam.event(Path("api/get-form.json")).read_text())
    assert form["queryStringParameters"]["key"] == setup.stack.form_key
    signed = json.loads(setup.for_sam.event(Path("api/post-interview-signed.json")).read_text())
    assert signed["headers"]["x-followup-signature"].startswith("t=")
    assert f"seeded interview {SAMPLE_INTERVIEW} into the running stack" in setup.for_sam.stdout


def _check(logical_id: str, relative: Path, result: Any, log: str) -> None:
    """What every event must do on the running stack (the same bar as tests/integration/test_events_invoke.py)."""
    assert not (isinstance(result, dict) and "errorType" in result), (relative, result, log)
    if logical_id == "ApiFunction":
        assert result["statusCode"] < 400, (relative, result, log)
    if isinstance(result, dict) and "batchItemFailures" in result:
        assert result["batchItemFailures"] == [], (relative, log)


# A clean process shaped like SAM's container: /var/task (the function's CodeUri) and /opt/python (the layer) on the
# path, the handler imported by its Handler string, one invocation, the result printed last.
RUNTIME = textwrap.dedent(
    """
    import importlib, json, sys
    code, layer, handler_name, event_file = sys.argv[1:5]
    sys.path[:0] = [code, layer]
    module_name, _, attribute = handler_name.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)

    class Context:
        function_name = "%(name)s"
        function_version = "$LATEST"
        memory_limit_in_mb = 256
        aws_request_id = "sam-local"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:%(name)s"
        log_group_name = "aws/lambda/%(name)s"
        log_stream_name = "$LATEST"

        def get_remaining_time_in_millis(self):
            return 30000

    with open(event_file) as handle:
        event = json.load(handle)
    result = handler(event, Context())
    print("\\nRESULT " + json.dumps(result, default=str))
    """
)


def sam_container_environment(logical_id: str, env_file: dict[str, Any], home: Path) -> dict[str, str]:
    """The environment `sam local invoke <logical_id> --env-vars <env_file>` gives the function's container."""
    spec = TEMPLATE.function(logical_id)
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "AWS_SAM_LOCAL": "true",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.properties.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.properties.get("Timeout", 3)),
        "AWS_LAMBDA_FUNCTION_HANDLER": spec.handler,
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"aws/lambda/{logical_id}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "$LATEST",
        # SAM's own session: the fake credentials and region the README tells people to run SAM with.
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ACCOUNT_ID": "123456789012",
    }
    overrides = {**env_file.get("Parameters", {}), **env_file.get(logical_id, {})}
    for name in spec.environment:  # only what the template declares
        environment[name] = str(overrides.get(name, ""))
    return environment


@pytest.mark.parametrize("relative", EVENT_FILES, ids=[str(path) for path in EVENT_FILES])
def test_each_event_runs_like_sam_local_invoke_against_the_stack(setup: Setup, relative: Path, tmp_path: Path) -> None:
    logical_id = FUNCTION_BY_FOLDER[relative.parent.name]
    spec = TEMPLATE.function(logical_id)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNTIME % {"name": logical_id},
            str(spec.code_uri),
            str(ROOT / "shared"),
            spec.handler,
            str(setup.for_sam.event(relative)),
        ],
        cwd=spec.code_uri,
        env=sam_container_environment(logical_id, setup.for_sam.env, tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.rsplit("\nRESULT ", 1)[1])
    _check(logical_id, relative, result, done.stdout + done.stderr)
    if relative == Path("api/get-interview.json"):
        # Only the stack's embedded AWS has this interview (sam-env seeded it there): same state.
        assert json.loads(result["body"])["interview"]["id"] == SAMPLE_INTERVIEW


@pytest.mark.parametrize("relative", EVENT_FILES, ids=[str(path) for path in EVENT_FILES])
def test_each_event_runs_through_followup_invoke_against_the_stack(setup: Setup, relative: Path) -> None:
    logical_id = FUNCTION_BY_FOLDER[relative.parent.name]
    done = subprocess.run(
        [sys.executable, "-m", "followup_local.cli", "invoke", logical_id, "-e", str(setup.for_invoke.event(relative))],
        cwd=setup.stack.workdir,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stderr
    assert f"against the running local stack {setup.stack.url}" in done.stderr
    _check(logical_id, relative, json.loads(done.stdout), done.stderr)
