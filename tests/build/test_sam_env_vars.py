"""`followup sam-env`'s env file through SAM CLI's own code: the environment `sam local invoke --env-vars` would give
each function's container, computed by the SAM CLI `make build` installs (samcli's LocalLambdaRunner, no Docker), has
every variable template.yaml declares valued from the file, AWS_ENDPOINT_URL included. It also holds the clean-process
emulation tests/e2e/test_sam_env.py runs the events in to what SAM really sets."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from followup_local.samenv import env_vars
from followup_local.stackstate import StackState
from followup_local.template import SamTemplate
from tests.build.support import ROOT, SAM_PYTHON, missing
from tests.e2e.test_sam_env import sam_container_environment

# SAM CLI's path from --env-vars to a container's environment (samcli.commands.local.lib.local_lambda).
RESOLVE = textwrap.dedent(
    """
    import json, sys
    from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
    from samcli.lib.providers.sam_function_provider import SamFunctionProvider
    from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

    template, env_file = sys.argv[1:3]
    stacks, _ = SamLocalStackProvider.get_stacks(template)
    provider = SamFunctionProvider(stacks)
    with open(env_file) as handle:
        overrides = json.load(handle)
    runner = LocalLambdaRunner(
        local_runtime=None, function_provider=provider, cwd=".", real_path=".", aws_profile=None,
        aws_region="us-east-1", env_vars_values=overrides,
    )
    print(json.dumps({f.name: runner._make_env_vars(f).resolve() for f in provider.get_all()}))
    """
)


def _state(template: SamTemplate) -> StackState:
    return StackState(
        path=Path("stack.json"),
        pid=1,
        url="http://127.0.0.1:3000",
        api_key="k",
        webhook_secret="w",
        form_key="f",
        aws_endpoint="http://127.0.0.1:41234",
        region="us-east-1",
        account_id="123456789012",
        stack_name="followup-local",
        functions={
            fid: {name: f"{fid}:{name}" for name in template.function(fid).environment}
            for fid in template.function_ids()
        },
    )


def test_sam_sets_every_variable_of_the_env_file(template: SamTemplate, tmp_path: Path) -> None:
    if not SAM_PYTHON.exists():
        missing(f"no SAM CLI in {SAM_PYTHON.parent.parent} (made by `make build`)")
    document = env_vars(_state(template), template, host="host.docker.internal")
    env_file = tmp_path / "env.json"
    # With one variable no template declares: SAM must drop it (why template.yaml declares AWS_ENDPOINT_URL).
    env_file.write_text(json.dumps({**document, "ApiFunction": {**document["ApiFunction"], "NOT_DECLARED": "x"}}))

    done = subprocess.run(
        [str(SAM_PYTHON), "-c", RESOLVE, str(ROOT / "template.yaml"), str(env_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        # SAM's own session: the fake credentials the README runs it with.
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "testing"}
        | {"AWS_SECRET_ACCESS_KEY": "testing", "SAM_CLI_TELEMETRY": "0"},
    )

    assert done.returncode == 0, done.stderr
    containers = json.loads(done.stdout.strip().splitlines()[-1])
    for logical_id in template.function_ids():
        container = containers[logical_id]
        for name in template.function(logical_id).environment:
            assert container[name] == document[logical_id][name], (logical_id, name)
        assert container["AWS_ENDPOINT_URL"] == "http://host.docker.internal:41234"
        assert "NOT_DECLARED" not in container
        assert container["AWS_ACCESS_KEY_ID"] == "testing"
        assert container["AWS_REGION"] == "us-east-1"
        # What tests/e2e/test_sam_env.py gives its clean processes is what SAM sets (SAM may add more AWS_* ones).
        emulated = sam_container_environment(logical_id, document, tmp_path)
        for name, value in emulated.items():
            if name not in ("PATH", "HOME"):
                assert container.get(name) == value, (logical_id, name)
