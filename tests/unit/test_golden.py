"""Golden messages: the default templates render each reviewed example exactly, and each passes the linter.

tests/golden/cases.json lists the cases: an interview from tests/golden/inputs/, a follow-up id, a tone (null keeps
the interview's own), the due time (which decides "today's" / "yesterday's" and the dates shown) and the linter
findings expected (none unless listed: only a sparse interview may earn warnings, and never a hard one).
The expected subject and text are tests/golden/expected/<name>.subject.txt and <name>.txt, read by a person.

After an intended wording change, regenerate them and review the diff like any other change:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_golden.py
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from followup.domain.models import FollowUpKind, InterviewRequest, PlannedFollowUp
from followup.messages.lint import lint_message, lint_panel
from followup.messages.render import RenderedMessage, render_follow_up

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES: list[dict[str, Any]] = json.loads((GOLDEN / "cases.json").read_text())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def load_case(case: dict[str, Any]) -> tuple[InterviewRequest, PlannedFollowUp]:
    document = json.loads((GOLDEN / "inputs" / case["input"]).read_text())
    if case["tone"] is not None:
        document.setdefault("preferences", {})["tone"] = case["tone"]
    request = InterviewRequest.model_validate(document)
    return request, planned(request, case["follow_up"], datetime.fromisoformat(case["due_at"]))


def planned(request: InterviewRequest, follow_up_id: str, due_at: datetime) -> PlannedFollowUp:
    """The follow-up as the planner makes it: thank-you-<n> to interviewer n, nudges to the primary contact, the
    rest to the candidate, each in the recipient's timezone."""
    kind = FollowUpKind(re.sub(r"-\d+$", "", follow_up_id))
    if kind is FollowUpKind.THANK_YOU:
        index: int | None = int(follow_up_id.rsplit("-", 1)[1])
    elif kind.is_nudge:
        index = request.primary_contact_index
    else:
        index = None
    if index is not None:
        person = request.interviewers[index]
        to, name, zone = str(person.email), person.name, request.interviewer_timezone(index)
    else:
        to, name, zone = str(request.candidate.email), request.candidate.name, request.candidate_timezone()
    return PlannedFollowUp(
        id=follow_up_id, kind=kind, to=to, to_name=name, timezone=zone, due_at=due_at, interviewer_index=index
    )


def expected_paths(case: dict[str, Any]) -> tuple[Path, Path]:
    return GOLDEN / "expected" / f"{case['name']}.subject.txt", GOLDEN / "expected" / f"{case['name']}.txt"


def render_case(case: dict[str, Any]) -> tuple[InterviewRequest, PlannedFollowUp, RenderedMessage]:
    request, follow_up = load_case(case)
    return request, follow_up, render_follow_up(request, follow_up)


def test_there_are_at_least_twelve_golden_cases_covering_every_tone_and_nudge() -> None:
    assert len(CASES) >= 12
    assert len({case["name"] for case in CASES}) == len(CASES)
    loaded = [load_case(case) for case in CASES]
    assert {request.preferences.tone for request, _ in loaded} == {"formal", "warm", "concise"}
    assert {FollowUpKind.THANK_YOU, FollowUpKind.CHECK_IN, FollowUpKind.FINAL} <= {f.kind for _, f in loaded}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_rendered_message_matches_its_golden(case: dict[str, Any]) -> None:
    _, _, message = render_case(case)
    subject_path, text_path = expected_paths(case)

    if UPDATE:
        subject_path.write_text(message.subject + "\n", encoding="utf-8")
        text_path.write_text(message.text, encoding="utf-8")

    assert message.subject == subject_path.read_text(encoding="utf-8").rstrip("\n")
    assert message.text == text_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_message_passes_the_linter(case: dict[str, Any]) -> None:
    request, follow_up, message = render_case(case)

    findings = lint_message(request, follow_up, message)

    assert [finding.rule for finding in findings] == case.get("findings", []), findings
    assert all(finding.severity == "warn" for finding in findings)


@pytest.mark.parametrize("name", ["ada-panel.json", "berlin-onsite.json", "six-panel.json"])
@pytest.mark.parametrize("tone", ["formal", "warm", "concise"])
def test_golden_panels_get_distinct_thank_yous(name: str, tone: str) -> None:
    document = json.loads((GOLDEN / "inputs" / name).read_text())
    document["preferences"] = {**document.get("preferences", {}), "tone": tone}
    request = InterviewRequest.model_validate(document)
    due = request.interview.ended_at.replace(hour=18)
    messages = {
        f"thank_you-{i}": render_follow_up(request, planned(request, f"thank_you-{i}", due))
        for i in range(len(request.interviewers))
    }

    assert lint_panel(request, messages) == []
