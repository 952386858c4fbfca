"""The message linter: the rubric, its severities, panel similarity and linting a whole plan."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from followup.domain.cadence import plan_follow_ups
from followup.domain.models import FollowUpKind, InterviewRequest, PlannedFollowUp
from followup.messages.lint import (
    PANEL_SIMILARITY_MAX,
    RULES,
    Finding,
    findings_json,
    hard_failure_reason,
    lint_message,
    lint_panel,
    lint_plan,
    panel_similarity,
)
from followup.messages.render import RenderedMessage, render_follow_up

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TONES = ("formal", "warm", "concise")
SUBMITTED_AT = datetime(2026, 11, 24, 20, 5, tzinfo=UTC)


def load_request(name: str = "interview.json", tone: str = "warm", **changes: Any) -> InterviewRequest:
    document = json.loads((EXAMPLES / name).read_text())
    document["preferences"]["tone"] = tone
    document.update(changes)
    return InterviewRequest.model_validate(document)


def thank_you(request: InterviewRequest, index: int = 0) -> PlannedFollowUp:
    person = request.interviewers[index]
    return PlannedFollowUp(
        id=f"thank_you-{index}",
        kind=FollowUpKind.THANK_YOU,
        to=str(person.email),
        to_name=person.name,
        timezone="America/New_York",
        due_at=datetime(2026, 11, 24, 22, 0, tzinfo=UTC),
        interviewer_index=index,
    )


def check_in(request: InterviewRequest) -> PlannedFollowUp:
    person = request.interviewers[request.primary_contact_index]
    return PlannedFollowUp(
        id="check_in",
        kind=FollowUpKind.CHECK_IN,
        to=str(person.email),
        to_name=person.name,
        timezone="America/New_York",
        due_at=datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
        interviewer_index=request.primary_contact_index,
    )


def rules(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


def edited(message: RenderedMessage, old: str, new: str) -> RenderedMessage:
    """The same message with one edit applied to both parts, so only the rule under test can fire."""
    assert old in message.text
    return dataclasses.replace(message, text=message.text.replace(old, new), html=message.html.replace(old, new))


@pytest.fixture
def request_() -> InterviewRequest:
    return load_request()


@pytest.fixture
def message(request_: InterviewRequest) -> RenderedMessage:
    return render_follow_up(request_, thank_you(request_))


# --- the defaults pass ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("name", ["interview.json", "interview-panel.json"])
def test_every_default_message_of_the_examples_passes_with_no_findings(name: str, tone: str) -> None:
    document = json.loads((EXAMPLES / name).read_text())
    document["preferences"].update({"tone": tone, "max_follow_ups": 3, "handwritten_note": True, "linkedin": True})
    request = InterviewRequest.model_validate(document)
    plan = plan_follow_ups(request, SUBMITTED_AT)

    findings = lint_plan(request, plan)

    assert set(findings) == {follow_up.id for follow_up in plan.follow_ups}
    assert {follow_up_id: rules(found) for follow_up_id, found in findings.items() if found} == {}


def test_rules_and_severities_are_declared_once() -> None:
    hard = {rule for rule, severity in RULES.items() if severity == "hard"}

    assert {"word_limit", "subject_length", "placeholder", "recipient_name"} <= hard
    assert set(RULES.values()) == {"hard", "warn"}


# --- hard rules ---------------------------------------------------------------------------------------------------


def test_a_greeting_without_the_recipients_name_is_hard(request_: InterviewRequest, message: RenderedMessage) -> None:
    findings = lint_message(request_, thank_you(request_), edited(message, "Hi Grace,", "Hi there,"))

    assert rules(findings) == ["recipient_name"]
    assert findings[0].severity == "hard"
    assert "Grace Hopper" in findings[0].message


def test_the_greeting_may_use_any_part_of_the_name(request_: InterviewRequest, message: RenderedMessage) -> None:
    for greeting in ("Dear Grace Hopper,", "Dear Ms Hopper,", "Hello GRACE,"):
        assert lint_message(request_, thank_you(request_), edited(message, "Hi Grace,", greeting)) == []


def test_a_greeting_naming_someone_else_is_hard() -> None:
    request = load_request("interview-panel.json")
    message = render_follow_up(request, thank_you(request, 1))

    findings = lint_message(request, thank_you(request, 1), edited(message, "Hi Alan,", "Hi Grace,"))

    assert rules(findings) == ["recipient_name"]


@pytest.mark.parametrize(
    ("kind", "limit"), [(FollowUpKind.THANK_YOU, 200), (FollowUpKind.CHECK_IN, 120), (FollowUpKind.FINAL, 100)]
)
def test_word_limits_are_hard(request_: InterviewRequest, kind: FollowUpKind, limit: int) -> None:
    follow_up = thank_you(request_) if kind is FollowUpKind.THANK_YOU else check_in(request_)
    follow_up = follow_up.model_copy(update={"kind": kind, "id": kind.value if kind.is_nudge else follow_up.id})
    message = render_follow_up(request_, follow_up)
    padding = " ".join(["word"] * (limit + 1))

    findings = lint_message(request_, follow_up, edited(message, "Ada Lovelace\n", f"{padding}\nAda Lovelace\n"))

    assert "word_limit" in rules(findings)
    assert f"a {kind.value} is at most {limit}" in findings[0].message


def test_the_action_links_block_does_not_count_and_keeps_parity(request_: InterviewRequest) -> None:
    links = {"approve": "https://followup.example/a/ok?x=1&y=2", "skip": "https://followup.example/a/skip"}

    message = render_follow_up(request_, thank_you(request_), links=links)

    assert lint_message(request_, thank_you(request_), message) == []


@pytest.mark.parametrize(
    ("subject", "problem"),
    [
        ("T" * 71, "71 characters"),
        ("", "empty"),
        ("Thank you\r\nBcc: x@example.com", "single line"),
        ("URGENT: thank you for the interview", "URGENT"),
        ("Thank you so much!!", "exclamation"),
    ],
)
def test_bad_subjects_are_hard(
    request_: InterviewRequest, message: RenderedMessage, subject: str, problem: str
) -> None:
    findings = lint_message(request_, thank_you(request_), dataclasses.replace(message, subject=subject))

    assert {finding.rule for finding in findings} <= {"subject_length", "subject_shouting"}
    assert any(problem in finding.message for finding in findings)
    assert all(finding.severity == "hard" for finding in findings)


def test_acronyms_and_submitted_capitals_are_not_shouting(message: RenderedMessage) -> None:
    request = load_request(company={"name": "NVIDIA", "country": "US"})

    subject = "Thank you – AWS data role at NVIDIA"

    assert lint_message(request, thank_you(request), dataclasses.replace(message, subject=subject)) == [
        finding for finding in lint_message(request, thank_you(request), message) if finding.rule != "subject_shouting"
    ]


@pytest.mark.parametrize(
    "leftover", ["{{ first_name }}", "{% if x %}", "[NAME]", "[Company Name]", "None", "undefined"]
)
def test_leftover_placeholders_are_hard(request_: InterviewRequest, message: RenderedMessage, leftover: str) -> None:
    findings = lint_message(request_, thank_you(request_), edited(message, "Hi Grace,", f"Hi Grace, {leftover}"))

    assert rules(findings) == ["placeholder"]
    assert repr(leftover.split()[0]) in findings[0].message or leftover in findings[0].message


def test_placeholders_in_the_submitted_data_are_data() -> None:
    document = json.loads((EXAMPLES / "interview.json").read_text())
    document["interviewers"][0]["topics"] = ["{{ 7*7 }} in Jinja", "None-safe APIs", "[NAME] tokens"]
    request = InterviewRequest.model_validate(document)

    message = render_follow_up(request, thank_you(request))

    assert "{{ 7*7 }}" in message.text
    assert "placeholder" not in rules(lint_message(request, thank_you(request), message))


def test_html_that_says_something_else_is_hard(request_: InterviewRequest, message: RenderedMessage) -> None:
    changed = dataclasses.replace(message, html=message.html.replace("Analytical Engines", "Babbage &amp; Co"))

    findings = lint_message(request_, thank_you(request_), changed)

    assert rules(findings) == ["text_html_parity"]
    assert "analytical" in findings[0].message
    assert "babbage" in findings[0].message


# --- warnings -----------------------------------------------------------------------------------------------------


def test_an_interviewer_without_topics_gets_the_generic_warning() -> None:
    document = json.loads((EXAMPLES / "interview.json").read_text())
    document["interviewers"][0]["topics"] = []
    request = InterviewRequest.model_validate(document)

    findings = lint_message(request, thank_you(request), render_follow_up(request, thank_you(request)))

    assert rules(findings) == ["cites_topic"]
    assert findings[0].severity == "warn"
    assert "will be generic" in findings[0].message


BARE = (
    "Hi Grace,\n\nThank you for talking with me about the Senior Data Engineer role at Analytical Engines Ltd, "
    "and about moving nightly batch ETL to streaming. My Kafka work fits the team, and I am very interested.\n\nAda\n"
)


def bare_message(text: str = BARE) -> RenderedMessage:
    return RenderedMessage(subject="Thank you", text=text, html=f"<body><p>{text}</p></body>")


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("Thank you for talking", "I enjoyed talking", "thanks"),
        ("Senior Data Engineer role", "role", "role_and_company"),
        (" at Analytical Engines Ltd", "", "role_and_company"),
        ("moving nightly batch ETL to streaming", "our work", "cites_topic"),
        ("My Kafka work fits the team", "It was fun", "ties_fit"),
        (", and I am very interested", "", "reiterates_interest"),
    ],
)
def test_rubric_warnings(request_: InterviewRequest, old: str, new: str, rule: str) -> None:
    assert lint_message(request_, thank_you(request_), bare_message()) == []

    findings = lint_message(request_, thank_you(request_), bare_message(BARE.replace(old, new)))

    assert rules(findings) == [rule]
    assert findings[0].severity == "warn"


def test_a_check_in_that_ignores_the_decision_date_warns(request_: InterviewRequest) -> None:
    message = render_follow_up(request_, check_in(request_))
    assert lint_message(request_, check_in(request_), message) == []

    findings = lint_message(request_, check_in(request_), edited(message, "Friday, December 4", "soon"))

    assert rules(findings) == ["refers_to_timeline"]


def test_candidate_reminders_skip_the_company_rubric(request_: InterviewRequest) -> None:
    follow_up = PlannedFollowUp(
        id="reminder_linkedin",
        kind=FollowUpKind.REMINDER_LINKEDIN,
        to="ada@example.com",
        to_name="Ada Lovelace",
        timezone="Europe/London",
        due_at=datetime(2026, 11, 25, 20, 0, tzinfo=UTC),
    )
    message = render_follow_up(request_, follow_up)

    assert lint_message(request_, follow_up, message) == []
    assert rules(lint_message(request_, follow_up, edited(message, "Hi Ada,", "Hi,"))) == ["recipient_name"]


# --- panel similarity ---------------------------------------------------------------------------------------------


def test_panel_thank_yous_of_the_default_templates_are_well_below_the_threshold() -> None:
    # Given six interviewers who share everything but their names, with no topics: the hardest case
    panel = [{"name": f"Person{i} Example", "email": f"p{i}@ae.example"} for i in range(6)]
    for tone in TONES:
        request = load_request("interview-panel.json", tone=tone, interviewers=panel)
        texts = [render_follow_up(request, thank_you(request, i)).text for i in range(6)]

        scores = [panel_similarity(a, b, [p["name"] for p in panel]) for a, b in combinations(texts, 2)]

        assert max(scores) < PANEL_SIMILARITY_MAX - 0.1, tone


def test_a_form_letter_with_only_name_and_topics_swapped_is_above_the_threshold() -> None:
    panel = load_request("interview-panel.json")
    texts = []
    for person in panel.interviewers:
        # Each interviewer alone at index 0: the same wording variant, as a form letter would have
        alone = panel.model_copy(update={"interviewers": [person]})
        texts.append(render_follow_up(alone, thank_you(alone)).text)

    score = panel_similarity(texts[0], texts[1], ["Grace Hopper", "Alan Turing"])

    assert score > PANEL_SIMILARITY_MAX + 0.1


def test_lint_panel_reports_each_pair_once_with_both_ids() -> None:
    request = load_request("interview-panel.json")
    grace = render_follow_up(request, thank_you(request, 0))
    alan = dataclasses.replace(grace, text=grace.text.replace("Grace", "Alan"))

    findings = lint_panel(request, {"thank_you-0": grace, "thank_you-1": alan, "check_in": grace})

    # A form letter breaks both panel rules, once per pair: a shared sentence (hard) and the overall likeness.
    assert [(f.rule, f.severity) for f in findings] == [("panel_shared_sentence", "hard"), ("panel_similarity", "warn")]
    assert all(f.follow_up_ids == ("thank_you-0", "thank_you-1") for f in findings)
    assert all("Grace Hopper and Alan Turing" in f.message for f in findings)


def test_lint_plan_attaches_panel_findings_to_both_thank_yous() -> None:
    request = load_request("interview-panel.json")
    plan = plan_follow_ups(request, SUBMITTED_AT)

    def same_letter(req: InterviewRequest, follow_up: PlannedFollowUp) -> RenderedMessage:
        message = render_follow_up(req, follow_up)
        if follow_up.kind is FollowUpKind.THANK_YOU:
            grace = render_follow_up(req, thank_you(req, 0))
            return edited(grace, "Grace", follow_up.to_name.split()[0])
        return message

    findings = lint_plan(request, plan, render=same_letter)

    assert "panel_similarity" in rules(findings["thank_you-0"])
    assert "panel_similarity" in rules(findings["thank_you-1"])
    assert "panel_similarity" not in rules(findings["check_in"])


def test_lint_plan_turns_a_render_failure_into_a_hard_finding() -> None:
    request = load_request()
    plan = plan_follow_ups(request, SUBMITTED_AT)

    def broken(req: InterviewRequest, follow_up: PlannedFollowUp) -> RenderedMessage:
        if follow_up.kind is FollowUpKind.CHECK_IN:
            raise KeyError("tone")
        return render_follow_up(req, follow_up)

    findings = lint_plan(request, plan, render=broken)

    assert rules(findings["check_in"]) == ["renders"]
    assert "KeyError" in findings["check_in"][0].message
    assert findings["thank_you-0"] == []


def test_hard_failure_reason_names_only_the_blocking_rules() -> None:
    findings = [
        Finding("cites_topic", "warn", "generic"),
        Finding("word_limit", "hard", "230 words; a thank_you is at most 200"),
        Finding("placeholder", "hard", "leftover placeholder(s): '[NAME]'"),
    ]

    reason = hard_failure_reason(findings)

    assert reason is not None
    assert "word_limit: 230 words" in reason
    assert "placeholder: leftover" in reason
    assert "generic" not in reason
    assert hard_failure_reason(findings[:1]) is None
    assert findings_json(findings[:1]) == [{"rule": "cites_topic", "severity": "warn", "message": "generic"}]
