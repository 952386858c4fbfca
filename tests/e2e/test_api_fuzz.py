"""Schemathesis against the served /openapi.json on the local stack: ≥ 500 generated requests (fixed seed), no
server error, every response conforming to the documented schema, status codes, content types and methods.

`positive_data_acceptance` is left out on purpose: the models are stricter than JSON Schema can say (IANA zones,
holiday countries, control characters, plausible years), so a schema-valid body may rightly get a 422.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1500)]

SEED = 4242
EXAMPLES_PER_OPERATION = 100


def test_generated_requests_never_get_a_server_error_and_conform_to_the_schema(
    stack: RunningStack, tmp_path: Path
) -> None:
    schemathesis = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{stack.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {stack.api_key}",
            "--seed",
            str(SEED),
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--phases",
            "coverage,fuzzing",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1400,
        cwd=tmp_path,
        check=False,
    )
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None, output[-3000:]
    assert int(generated.group(1)) >= 500, output[-3000:]
    assert result.returncode == 0, output[-6000:]
