"""SAM CLI itself (the one `make build` installs) reads samconfig.toml's environments the way the unit tests assume:
the same stack names and settings, and the same parameter overrides, empty secret names included."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.build.support import ROOT, SAM_PYTHON, missing
from tests.unit.test_deploy_template import ENVIRONMENTS, _settings, parameter_overrides

pytestmark = pytest.mark.build

READ_WITH_SAM_CLI = """
import json, sys
from pathlib import Path
from samcli.cli.types import CfnParameterOverridesType
from samcli.lib.config.samconfig import SamConfig

config = SamConfig(Path(sys.argv[1]))
result = {}
for environment in config.get_stage_configuration_names():
    settings = dict(config.get_all(["deploy"], "parameters", env=environment))
    settings["parameter_overrides"] = CfnParameterOverridesType().convert(settings["parameter_overrides"], None, None)
    result[environment] = settings
print(json.dumps(result))
"""


def test_sam_cli_reads_each_environment_as_the_unit_tests_do() -> None:
    if not SAM_PYTHON.exists():
        missing("no SAM CLI in .venv-sam (made by `make build`)")
    result = subprocess.run(
        [str(SAM_PYTHON), "-c", READ_WITH_SAM_CLI, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    read = json.loads(result.stdout)
    assert sorted(read) == sorted(ENVIRONMENTS)
    for environment in ENVIRONMENTS:
        expected = _settings(environment)
        expected["parameter_overrides"] = parameter_overrides(expected["parameter_overrides"])
        assert read[environment] == expected, environment
