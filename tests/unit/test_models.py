"""The interview payload model (CONTRACT §3): defaults, fallbacks, limits and every constraint."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from pydantic import ValidationError

from followup.domain.models import InterviewRequest
from tests.conftest import load_example

SAMPLE: dict[str, Any] = load_example("interview.json")
MINIMAL: dict[str, Any] = {
    "candidate": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "company": {"name": "Analytical Engines Ltd"},
    "position": {"title": "Senior Data Engineer"},
    "interview": {"ended_at": "2026-11-24T15:00:00-05:00"},
    "interviewers": [{"name": "Grace Hopper", "email": "grace@ae.example"}],
}
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _with(path: str, value: Any, base: dict[str, Any] = SAMPLE) -> dict[str, Any]:
    document = copy.deepcopy(base)
    steps: list[Any] = [name if name else int(index) for name, index in _STEP.findall(path)]
    node: Any = document
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value
    return document


def _loc(path: str) -> tuple[Any, ...]:
    return tuple(name if name else int(index) for name, index in _STEP.findall(path))


def rejected(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The locations pydantic reports for an invalid document (fails the test when it is valid)."""
    with pytest.raises(ValidationError) as info:
        InterviewRequest.model_validate(document)
    return [tuple(error["loc"]) for error in info.value.errors()]


def assert_rejected_at(document: dict[str, Any], path: str) -> None:
    locations = rejected(document)
    assert any(loc[: len(_loc(path))] == _loc(path) for loc in locations), locations


# -- defaults ------------------------------------------------------------------------------------------------------


def test_minimal_payload_gets_every_documented_default() -> None:
    request = InterviewRequest.model_validate(MINIMAL)

    assert request.candidate.timezone is None
    assert request.candidate.signature is None
    assert request.company.timezone is None
    assert request.company.country is None
    assert request.interview.stage == "other"
    assert request.interview.format == "video"
    assert request.interview.started_at is None
    person = request.interviewers[0]
    assert person.title is None
    assert person.primary_contact is False
    assert person.timezone is None
    assert person.topics == []
    assert person.linkedin_url is None
    assert person.mailing_address is None
    assert request.highlights.skills == []
    assert request.highlights.experience is None
    assert request.highlights.why_fit is None
    assert request.next_steps.decision_expected_by is None
    assert request.next_steps.notes is None
    preferences = request.preferences
    assert preferences.tone == "warm"
    assert preferences.mode == "auto"
    assert preferences.max_follow_ups == 2
    assert (preferences.send_window.start, preferences.send_window.end) == ("09:00", "17:00")
    assert (preferences.send_window.start_time, preferences.send_window.end_time) == (time(9), time(17))
    assert preferences.handwritten_note is False
    assert preferences.linkedin is False
    assert preferences.work_samples == []


def test_defaults_are_not_shared_between_requests() -> None:
    first = InterviewRequest.model_validate(MINIMAL)
    second = InterviewRequest.model_validate(MINIMAL)
    first.interviewers[0].topics.append("mutated")
    first.highlights.skills.append("mutated")
    assert second.interviewers[0].topics == []
    assert second.highlights.skills == []


def test_the_contract_sample_is_valid_and_keeps_its_values() -> None:
    request = InterviewRequest.model_validate(SAMPLE)
    assert request.interview.ended_at == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert request.next_steps.decision_expected_by == date(2026, 12, 4)
    assert request.preferences.handwritten_note is True
    assert str(request.preferences.work_samples[0]) == "https://github.com/ada/engine"
    assert request.interviewers[0].primary_contact is True


# -- fallbacks -----------------------------------------------------------------------------------------------------


def _interviewers(*primary: bool) -> list[dict[str, Any]]:
    return [{"name": f"P{n}", "email": f"p{n}@ae.example", "primary_contact": flag} for n, flag in enumerate(primary)]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [((False,), 0), ((False, False, False), 0), ((False, True, False), 1), ((False, False, True), 2), ((True,), 0)],
)
def test_primary_contact_index_is_the_marked_one_else_the_first(flags: tuple[bool, ...], expected: int) -> None:
    request = InterviewRequest.model_validate(_with("interviewers", _interviewers(*flags), MINIMAL))
    assert request.primary_contact_index == expected


@pytest.mark.parametrize(
    ("candidate_zone", "company_zone", "company", "candidate"),
    [
        ("Europe/London", "America/New_York", "America/New_York", "Europe/London"),
        ("Europe/London", None, "Europe/London", "Europe/London"),
        (None, "America/New_York", "America/New_York", "America/New_York"),
        (None, None, "UTC", "UTC"),
    ],
)
def test_timezones_fall_back_to_each_other_then_utc(
    candidate_zone: str | None, company_zone: str | None, company: str, candidate: str
) -> None:
    document = copy.deepcopy(MINIMAL)
    if candidate_zone:
        document["candidate"]["timezone"] = candidate_zone
    if company_zone:
        document["company"]["timezone"] = company_zone
    request = InterviewRequest.model_validate(document)
    assert request.company_timezone() == company
    assert request.candidate_timezone() == candidate
    assert request.interviewer_timezone(0) == company


def test_interviewer_timezone_prefers_their_own() -> None:
    document = _with("interviewers[0].timezone", "Asia/Tokyo", _with("company.timezone", "America/New_York", MINIMAL))
    assert InterviewRequest.model_validate(document).interviewer_timezone(0) == "Asia/Tokyo"


# -- to_document ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("document", [SAMPLE, MINIMAL], ids=["sample", "minimal"])
def test_to_document_round_trips_through_json(document: dict[str, Any]) -> None:
    request = InterviewRequest.model_validate(document)
    stored = request.to_document()
    assert json.loads(json.dumps(stored)) == stored  # plain JSON: str, int, bool, list, dict
    again = InterviewRequest.model_validate(stored)
    assert again == request
    assert again.to_document() == stored


def test_to_document_omits_nones_and_keeps_offsets_and_normalised_values() -> None:
    document = _with("company.country", " us ", _with("candidate.name", "  Ada Lovelace  ", SAMPLE))
    stored = InterviewRequest.model_validate(document).to_document()
    assert stored["company"]["country"] == "US"
    assert stored["candidate"]["name"] == "Ada Lovelace"
    assert datetime.fromisoformat(stored["interview"]["ended_at"]).utcoffset() is not None
    minimal = InterviewRequest.model_validate(MINIMAL).to_document()
    assert "timezone" not in minimal["candidate"]
    assert "started_at" not in minimal["interview"]
    assert minimal["preferences"]["max_follow_ups"] == 2


# -- required fields and unknown fields ----------------------------------------------------------------------------

REQUIRED = (
    "candidate",
    "company",
    "position",
    "interview",
    "interviewers",
    "candidate.name",
    "candidate.email",
    "company.name",
    "position.title",
    "interview.ended_at",
    "interviewers[0].name",
    "interviewers[0].email",
)


@pytest.mark.parametrize("path", REQUIRED)
def test_required_field_missing_is_rejected(path: str) -> None:
    document = copy.deepcopy(MINIMAL)
    steps = list(_loc(path))
    node: Any = document
    for step in steps[:-1]:
        node = node[step]
    del node[steps[-1]]
    assert _loc(path) in rejected(document)


@pytest.mark.parametrize(
    "path",
    [
        "extra",
        "candidate.extra",
        "company.extra",
        "position.extra",
        "interview.extra",
        "interviewers[0].extra",
        "highlights.extra",
        "next_steps.extra",
        "preferences.extra",
        "preferences.send_window.extra",
    ],
)
def test_unknown_fields_are_rejected_at_every_level(path: str) -> None:
    assert _loc(path) in rejected(_with(path, "x"))


# -- limits: the maximum is accepted, one more is not ----------------------------------------------------------------

STRING_LIMITS = [
    ("candidate.name", 120),
    ("interviewers[0].name", 120),
    ("highlights.skills[0]", 120),
    ("company.name", 200),
    ("position.title", 200),
    ("interviewers[0].title", 200),
    ("interviewers[0].topics[0]", 200),
    ("interviewers[0].mailing_address", 300),
    ("candidate.signature", 500),
    ("highlights.experience", 1000),
    ("highlights.why_fit", 1000),
    ("next_steps.notes", 1000),
]


@pytest.mark.parametrize(("path", "limit"), STRING_LIMITS)
def test_string_limits(path: str, limit: int) -> None:
    InterviewRequest.model_validate(_with(path, "x" * limit))
    assert_rejected_at(_with(path, "x" * (limit + 1)), path)


def test_limits_count_characters_not_bytes() -> None:
    InterviewRequest.model_validate(_with("candidate.name", "\U0001f600" * 120))
    assert_rejected_at(_with("candidate.name", "\U0001f600" * 121), "candidate.name")


LIST_LIMITS = [
    ("interviewers[0].topics", "topic", 10),
    ("highlights.skills", "Kafka", 10),
    ("preferences.work_samples", "https://github.com/ada/engine", 10),
]


@pytest.mark.parametrize(("path", "item", "limit"), LIST_LIMITS)
def test_list_limits(path: str, item: str, limit: int) -> None:
    InterviewRequest.model_validate(_with(path, [item] * limit))
    assert_rejected_at(_with(path, [item] * (limit + 1)), path)


def test_one_to_twelve_interviewers() -> None:
    people = [{"name": f"P{n}", "email": f"p{n}@ae.example"} for n in range(13)]
    InterviewRequest.model_validate(_with("interviewers", people[:12]))
    assert_rejected_at(_with("interviewers", people), "interviewers")
    assert_rejected_at(_with("interviewers", []), "interviewers")


def test_url_limit_is_500_characters() -> None:
    base = "https://www.linkedin.com/in/"
    InterviewRequest.model_validate(_with("interviewers[0].linkedin_url", base + "x" * (500 - len(base))))
    assert_rejected_at(
        _with("interviewers[0].linkedin_url", base + "x" * (501 - len(base))), "interviewers[0].linkedin_url"
    )


@pytest.mark.parametrize(("value", "ok"), [(0, True), (3, True), (2, True), (-1, False), (4, False), (2.5, False)])
def test_max_follow_ups_is_zero_to_three(value: Any, ok: bool) -> None:
    document = _with("preferences.max_follow_ups", value)
    if ok:
        assert InterviewRequest.model_validate(document).preferences.max_follow_ups == value
    else:
        assert_rejected_at(document, "preferences.max_follow_ups")


@pytest.mark.parametrize("path", ["candidate.name", "company.name", "position.title", "interviewers[0].name"])
@pytest.mark.parametrize("blank", ["", " ", "\t "])
def test_required_text_cannot_be_blank(path: str, blank: str) -> None:
    assert_rejected_at(_with(path, blank), path)


# -- single-line fields: anything that can reach a header ------------------------------------------------------------

SINGLE_LINE = (
    "candidate.name",
    "candidate.email",
    "company.name",
    "position.title",
    "interviewers[0].name",
    "interviewers[0].email",
    "interviewers[0].title",
    "interviewers[0].topics[0]",
    "highlights.skills[0]",
)
BREAKS = {"cr": "\r", "lf": "\n", "crlf": "\r\n", "u2028": "\u2028", "u2029": "\u2029", "nel": "\x85", "vt": "\x0b"}
CONTROLS = {"nul": "\x00", "bell": "\x07", "escape": "\x1b", "del": "\x7f"}


@pytest.mark.parametrize("path", SINGLE_LINE)
@pytest.mark.parametrize("character", list({**BREAKS, **CONTROLS}.values()), ids=list({**BREAKS, **CONTROLS}))
def test_single_line_fields_refuse_line_breaks_and_control_characters(path: str, character: str) -> None:
    value = f"grace{character}bcc@ae.example" if path.endswith("email") else f"Grace{character}Bcc: eve@evil.example"
    assert_rejected_at(_with(path, value), path)


MULTI_LINE = (
    "candidate.signature",
    "interviewers[0].mailing_address",
    "highlights.experience",
    "highlights.why_fit",
    "next_steps.notes",
)


@pytest.mark.parametrize("path", MULTI_LINE)
def test_multi_line_fields_keep_newlines_but_refuse_control_characters(path: str) -> None:
    InterviewRequest.model_validate(_with(path, "first line\nsecond line\tindented"))
    for character in CONTROLS.values():
        assert_rejected_at(_with(path, f"before{character}after"), path)


@pytest.mark.parametrize("path", [*SINGLE_LINE[2:4], *MULTI_LINE])
def test_template_syntax_and_markup_are_valid_data(path: str) -> None:
    value = "{{ 7*7 }} {% if x %}y{% endif %} <script>alert(1)</script>"
    request = InterviewRequest.model_validate(_with(path, value))
    assert value in json.dumps(request.to_document(), ensure_ascii=False)


# -- emails, datetimes, timezones, countries, URLs, enums -----------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "ada.example.com",
        "ada@",
        "@example.com",
        "ada@localhost",
        "ada lovelace@example.com",
        "ada@exa..mple.com",
        "ada@example.com, eve@evil.example",
        "",
        "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".example",  # 263 characters
    ],
)
def test_bad_emails_are_rejected(email: str) -> None:
    assert_rejected_at(_with("candidate.email", email), "candidate.email")
    assert_rejected_at(_with("interviewers[0].email", email), "interviewers[0].email")


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-24T15:00:00",
        "2026-11-24",
        "1999-12-31T23:59:59+00:00",
        "2101-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "2026-02-30T10:00:00Z",
        "soon",
    ],
)
def test_datetimes_need_an_offset_and_a_plausible_year(value: str) -> None:
    assert_rejected_at(_with("interview.ended_at", value), "interview.ended_at")
    assert_rejected_at(_with("interview.started_at", value), "interview.started_at")


@pytest.mark.parametrize("value", ["2000-01-01T00:00:00+00:00", "2100-12-31T23:59:59-12:00", "2026-11-24T20:00:00Z"])
def test_datetimes_inside_the_range_are_accepted(value: str) -> None:
    document = _with("interview.ended_at", value)
    del document["interview"]["started_at"]
    assert InterviewRequest.model_validate(document).interview.ended_at.utcoffset() is not None


def test_start_after_end_is_rejected_and_equal_is_accepted() -> None:
    assert_rejected_at(_with("interview.started_at", "2026-11-24T15:00:01-05:00"), "interview")
    InterviewRequest.model_validate(_with("interview.started_at", "2026-11-24T15:00:00-05:00"))


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_absurd_decision_dates_are_rejected(value: str) -> None:
    assert_rejected_at(_with("next_steps.decision_expected_by", value), "next_steps.decision_expected_by")


@pytest.mark.parametrize(
    "value", ["Mars/Olympus_Mons", "america/new_york", "../../etc/passwd", "+05:00", "", "PST", "x" * 65]
)
@pytest.mark.parametrize("path", ["candidate.timezone", "company.timezone", "interviewers[0].timezone"])
def test_timezones_must_be_iana_names(path: str, value: str) -> None:
    assert_rejected_at(_with(path, value), path)


@pytest.mark.parametrize("value", ["XX", "USA", "U", "", "U$", 840])
def test_country_must_be_a_supported_alpha_2_code(value: Any) -> None:
    assert_rejected_at(_with("company.country", value), "company.country")


@pytest.mark.parametrize(("value", "stored"), [("gb", "GB"), (" de ", "DE"), ("US", "US")])
def test_country_is_normalised_to_upper_case(value: str, stored: str) -> None:
    assert InterviewRequest.model_validate(_with("company.country", value)).company.country == stored


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://files.example/a",
        "data:text/html,<script>alert(1)</script>",
        "mailto:eve@evil.example",
        "github.com/ada",
        "https://",
    ],
)
@pytest.mark.parametrize("path", ["interviewers[0].linkedin_url", "preferences.work_samples[0]"])
def test_urls_must_be_http_or_https(path: str, url: str) -> None:
    assert_rejected_at(_with(path, url), path)


def test_urls_cannot_carry_line_breaks_into_the_stored_document() -> None:
    request = InterviewRequest.model_validate(_with("interviewers[0].linkedin_url", "https://x.example/a\r\nBcc: e"))
    stored = request.to_document()["interviewers"][0]["linkedin_url"]
    assert "\r" not in stored
    assert "\n" not in stored
    assert " " not in stored


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("preferences.tone", "rude"),
        ("preferences.tone", "WARM"),
        ("preferences.mode", "immediately"),
        ("interview.stage", "lunch"),
        ("interview.format", "carrier_pigeon"),
    ],
)
def test_enums_accept_only_their_values(path: str, value: str) -> None:
    assert_rejected_at(_with(path, value), path)


@pytest.mark.parametrize("tone", ["formal", "warm", "concise"])
@pytest.mark.parametrize("mode", ["auto", "review"])
def test_every_tone_and_mode_is_accepted(tone: str, mode: str) -> None:
    request = InterviewRequest.model_validate(_with("preferences.mode", mode, _with("preferences.tone", tone)))
    assert (request.preferences.tone, request.preferences.mode) == (tone, mode)


@pytest.mark.parametrize(
    "window",
    [
        {"start": "09:00", "end": "09:00"},
        {"start": "17:00", "end": "09:00"},
        {"start": "9:00", "end": "17:00"},
        {"start": "09:00", "end": "24:00"},
        {"start": "09:60", "end": "17:00"},
        {"start": 9, "end": 17},
    ],
)
def test_send_window_needs_hh_mm_and_start_before_end(window: dict[str, Any]) -> None:
    assert_rejected_at(_with("preferences.send_window", window), "preferences.send_window")


def test_send_window_edges_are_accepted() -> None:
    window = InterviewRequest.model_validate(
        _with("preferences.send_window", {"start": "00:00", "end": "23:59"})
    ).preferences.send_window
    assert (window.start_time, window.end_time) == (time(0, 0), time(23, 59))


def test_duplicate_interviewer_emails_are_rejected_case_insensitively() -> None:
    people = [{"name": "Grace", "email": "grace@ae.example"}, {"name": "Grace 2", "email": "GRACE@ae.example"}]
    assert_rejected_at(_with("interviewers", people), "interviewers")


def test_at_most_one_primary_contact() -> None:
    assert_rejected_at(_with("interviewers", _interviewers(True, True)), "interviewers")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("candidate", "Ada"),
        ("interviewers", {"name": "Grace", "email": "grace@ae.example"}),
        ("candidate.name", 123),
        ("position.title", ["x"]),
        ("interviewers[0].topics", "streaming"),
        ("preferences.work_samples", "https://github.com/ada"),
        ("preferences.max_follow_ups", "many"),
        ("interviewers[0].primary_contact", {"yes": True}),
        ("next_steps.decision_expected_by", "next Friday"),
    ],
)
def test_wrong_types_are_rejected(path: str, value: Any) -> None:
    assert_rejected_at(_with(path, value), path)
