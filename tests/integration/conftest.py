"""In-process moto: the template's resources provisioned into `mock_aws`, the handlers run unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from followup_local.cloud import LocalCloud, in_process_cloud

# The contract's sample interview ended 2026-11-24 15:00 New York time (20:00 UTC); submit an hour later.
SUBMITTED_AT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with in_process_cloud(SUBMITTED_AT) as deployed:
        yield deployed
