"""Interview ids name their candidate (README "Many candidates"): read from the id alone, checked by the planner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from followup.domain.candidates import INTERVIEW_ID_PATTERN, interview_id_for, interview_owner
from followup.domain.events import InterviewSubmitted
from followup.workflow.submission import new_interview_id

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_a_created_candidates_ids_name_them_and_the_default_candidates_are_unchanged() -> None:
    mine = new_interview_id(AT, "ab12cd34ef56")
    assert mine.startswith("ab12cd34ef56-")
    assert interview_owner(mine) == "ab12cd34ef56"
    default = new_interview_id(AT)
    assert len(default) == 22
    assert interview_owner(default) == "default"
    assert INTERVIEW_ID_PATTERN.match(mine)
    assert INTERVIEW_ID_PATTERN.match(default)
    # Time-ordered within a candidate: the 22 hex start with the submission time in ms
    assert mine.split("-")[1][:12] == default[:12] == f"{int(AT.timestamp() * 1000):012x}"
    assert interview_id_for("default", default) == default


@pytest.mark.parametrize(
    "malformed",
    ["", "ab12cd34ef56", "AB12CD34EF56-019ab6e4a8c0f3b2c1d4e5", "ab12cd34ef5-019ab6e4a8c0f3b2c1d4e5", "../etc", "x-y"],
)
def test_a_malformed_id_names_nobody(malformed: str) -> None:
    assert interview_owner(malformed) is None


def _submitted(interview_id: str, candidate_id: str) -> InterviewSubmitted:
    return InterviewSubmitted(
        interview_id=interview_id, candidate_id=candidate_id, submitted_at=AT, interview={}, follow_ups=[]
    )


def test_the_planner_refuses_an_interview_whose_id_names_another_candidate() -> None:
    assert _submitted("ab12cd34ef56-019ab6e4a8c0f3b2c1d4e5", "ab12cd34ef56").candidate_id == "ab12cd34ef56"
    # An id from before ids named their candidate is still accepted for a created candidate
    assert _submitted("019ab6e4a8c0f3b2c1d4e5", "ab12cd34ef56").interview_id == "019ab6e4a8c0f3b2c1d4e5"
    with pytest.raises(ValidationError, match="does not belong"):
        _submitted("ab12cd34ef56-019ab6e4a8c0f3b2c1d4e5", "zz12cd34ef56")
    with pytest.raises(ValidationError, match="does not belong"):
        _submitted("ab12cd34ef56-019ab6e4a8c0f3b2c1d4e5", "default")
