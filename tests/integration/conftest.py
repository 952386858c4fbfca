"""In-process moto: the template's resources provisioned into `mock_aws`, the handlers run unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from followup import clock as followup_clock
from followup_local.cloud import LocalCloud, VirtualClock
from followup_local.functions import reset_handler_caches
from followup_local.provision import provision
from followup_local.template import load_template

# The contract's sample interview ended 2026-11-24 15:00 New York time (20:00 UTC); submit an hour later.
SUBMITTED_AT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with mock_aws():
        reset_handler_caches()
        session = boto3.session.Session(region_name="us-east-1")
        template = load_template()
        provisioned = provision(session, template=template)
        clock = VirtualClock()
        clock.freeze(SUBMITTED_AT)
        previous = followup_clock.get_clock()
        try:
            yield LocalCloud(session, provisioned, template, clock)
        finally:
            followup_clock.set_clock(previous)
            reset_handler_caches()
