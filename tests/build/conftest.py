"""Fixtures of the build tests (helpers in tests/build/support.py)."""

from __future__ import annotations

import pytest

from followup_local.template import SamTemplate, load_template


@pytest.fixture(scope="session")
def template() -> SamTemplate:
    return load_template()
