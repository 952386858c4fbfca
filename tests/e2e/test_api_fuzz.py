"""Schemathesis against the served /openapi.json on the local stack (fixed seed): no server error, every response
conforming to the documented schema, status codes, content types and methods.

Two lengths, the same checks: `make test` runs the short one (coverage phase plus 10 fuzzed examples per operation,
at least 150 generated cases by schemathesis's own summary); `make fuzz` (FOLLOWUP_FUZZ=long) runs the long one
(100 fuzzed examples per operation, at least 500 cases).

`positive_data_acceptance` is left out on purpose: the models are stricter than JSON Schema can say (IANA zones,
holiday countries, control characters, plausible years), so a schema-valid body may rightly get a 422.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningStack

LONG = os.environ.get("FOLLOWUP_FUZZ", "").lower() == "long"
SEED = 4242
EXAMPLES_PER_OPERATION = 100 if LONG else 10
MINIMUM_GENERATED = 500 if LONG else 150
RUN_TIMEOUT_SECONDS = 1400 if LONG else 500

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 100)]


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
        timeout=RUN_TIMEOUT_SECONDS,
        cwd=tmp_path,
        check=False,
    )
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None, output[-3000:]
    assert int(generated.group(1)) >= MINIMUM_GENERATED, output[-3000:]
    assert result.returncode == 0, output[-6000:]
    print(f"schemathesis: {generated.group(1)} generated cases, {EXAMPLES_PER_OPERATION} fuzzed per operation")
