"""In-process moto: the template's resources provisioned into `mock_aws`, the handlers run unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from followup_local.cloud import LocalCloud, in_process_cloud
from tests.integration import least_privilege
from tests.integration.atomic_moto import atomic_dynamodb

# The contract's sample interview ended 2026-11-24 15:00 New York time (20:00 UTC); submit an hour later.
SUBMITTED_AT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _calls_granted(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test whose handlers made an AWS call their role does not grant (least_privilege.py)."""
    yield
    problems = least_privilege.RECORD.take_problems(request.node.nodeid)
    if problems:
        pytest.fail("AWS calls template.yaml does not grant:\n" + "\n".join(dict.fromkeys(problems)), pytrace=False)


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    # Conditional writes atomic as on DynamoDB, so threads in a test race our code, not moto's.
    with atomic_dynamodb(), in_process_cloud(SUBMITTED_AT) as deployed:
        yield deployed


def distinct(payload: dict[str, Any], n: int) -> dict[str, Any]:
    """Another interview than `payload` (one interview per candidate + company + position + end): the n-th position."""
    copy = json.loads(json.dumps(payload))
    copy["position"]["title"] = f"{copy['position']['title']} {n}"
    return copy
