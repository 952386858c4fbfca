"""Rendering of follow-up messages: content, tone, limits, safety and text/HTML parity."""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from followup.domain.models import FollowUpKind, InterviewRequest, PlannedFollowUp
from followup.messages.render import SUBJECT_MAX, RenderedMessage, _environment, render_follow_up, word_count

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TONES = ("formal", "warm", "concise")
# (follow-up id, kind): check_in-2 is the second, shorter check-in.
STEPS = (
    ("thank_you-0", FollowUpKind.THANK_YOU),
    ("check_in", FollowUpKind.CHECK_IN),
    ("check_in-2", FollowUpKind.CHECK_IN),
    ("final", FollowUpKind.FINAL),
    ("reminder_handwritten_note", FollowUpKind.REMINDER_HANDWRITTEN_NOTE),
    ("reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN),
    ("reminder_work_samples", FollowUpKind.REMINDER_WORK_SAMPLES),
)
WORD_LIMITS = {FollowUpKind.THANK_YOU: 200, FollowUpKind.CHECK_IN: 120, FollowUpKind.FINAL: 100}
# The interview ends 2026-11-24 15:00 New York (20:00 UTC).
THANK_YOU_DUE = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
CHECK_IN_DUE = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
# Words the subject lines themselves contribute, around the role and company.
FIXED_SUBJECT_WORDS = frozenset(
    re.findall(
        r"\S+",
        "Thank you Thanks Grace Following up Checking in again at interview With thanks for your time Great to meet "
        "you the conversation so much My meeting Many Appreciated our talk Handwritten thank-you notes Connect on "
        "LinkedIn Offer a work sample with me",
    )
)
LINKS = {"approve": "https://followup.example/a/approve-tok", "skip": "https://followup.example/a/skip-tok"}


def load_request(name: str = "interview.json", **changes: Any) -> InterviewRequest:
    """An example payload, with top-level sections replaced or patched (dicts are merged one level deep)."""
    document = json.loads((EXAMPLES / name).read_text())
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    return InterviewRequest.model_validate(document)


def follow_up_for(
    request: InterviewRequest,
    follow_up_id: str,
    kind: FollowUpKind,
    *,
    index: int = 0,
    timezone: str = "America/New_York",
    due_at: datetime | None = None,
) -> PlannedFollowUp:
    """A follow-up as the planner would make it: thank-yous per interviewer, the rest to the primary contact."""
    if kind is FollowUpKind.THANK_YOU:
        person, interviewer_index = request.interviewers[index], index
        due = due_at or THANK_YOU_DUE
    elif kind.is_nudge:
        person, interviewer_index = request.interviewers[request.primary_contact_index], None
        due = due_at or CHECK_IN_DUE
    else:
        person, interviewer_index = request.interviewers[request.primary_contact_index], None
        due = due_at or THANK_YOU_DUE
    to, to_name = (
        (str(person.email), person.name) if kind.is_nudge else (request.candidate.email, request.candidate.name)
    )
    return PlannedFollowUp(
        id=follow_up_id,
        kind=kind,
        to=to,
        to_name=to_name,
        timezone=timezone,
        due_at=due,
        interviewer_index=interviewer_index,
    )


def with_tone(request: InterviewRequest, tone: str) -> InterviewRequest:
    return request.model_copy(update={"preferences": request.preferences.model_copy(update={"tone": tone})})


def html_words(part: str) -> list[str]:
    """Visible words of the HTML body: tags stripped, entities unescaped."""
    body = re.search(r"<body[^>]*>(.*)</body>", part, re.S)
    assert body is not None
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body.group(1))).split()


def assert_tidy(message: RenderedMessage) -> None:
    text = message.text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert "\n\n\n" not in text, "empty paragraph"
    assert "  " not in text, "double space"
    assert "None" not in text
    assert "None" not in message.html
    assert not re.search(r" [.,;:]", text), "space before punctuation (an empty insertion)"
    assert not re.search(r"\b(about|on|of|with|to)\s*[.,]", text), "a sentence lost its object"
    assert all(line == line.strip() for line in text.splitlines())
    assert_subject_ok(message.subject)


def assert_subject_ok(subject: str) -> None:
    assert 0 < len(subject) <= SUBJECT_MAX
    assert not re.search(r"[\r\n\u2028\u2029\x85]", subject)
    assert subject == subject.strip()
    assert "  " not in subject


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize(("follow_up_id", "kind"), STEPS, ids=[step[0] for step in STEPS])
def test_each_kind_and_tone_renders_the_essentials(tone: str, follow_up_id: str, kind: FollowUpKind) -> None:
    # Given the single-interviewer example in each tone
    request = with_tone(load_request(), tone)
    grace = request.interviewers[0]

    # When the follow-up is rendered
    message = render_follow_up(request, follow_up_for(request, follow_up_id, kind))

    # Then it names the person, the role and the company, cites a topic and a skill, within its budget
    assert "Grace" in message.text
    assert request.position.title in message.text
    assert "Analytical Engines" in message.text  # the short name people say, not the legal "Ltd"
    if follow_up_id != "check_in-2":  # the second check-in is deliberately one short paragraph
        assert any(topic in message.text for topic in grace.topics)
    if kind is not FollowUpKind.REMINDER_HANDWRITTEN_NOTE and kind is not FollowUpKind.REMINDER_LINKEDIN:
        # A skill, or the candidate's own experience, ties the message to the role.
        assert any(skill in message.text for skill in request.highlights.skills) or (
            "I led a 40-pipeline migration to streaming." in message.text
        )
    if kind in WORD_LIMITS:
        assert word_count(message.text) <= WORD_LIMITS[kind]
    assert_tidy(message)


@pytest.mark.parametrize("tone", TONES)
def test_thank_you_greets_by_tone_and_ties_in_the_candidates_story(tone: str) -> None:
    request = with_tone(load_request(), tone)

    text = render_follow_up(request, follow_up_for(request, "thank_you-0", FollowUpKind.THANK_YOU)).text

    greeting = text.splitlines()[0]
    assert greeting == ("Dear Grace Hopper," if tone == "formal" else "Hi Grace,")
    assert "today's virtual onsite" in text  # the same local day as the interview
    # Both topics are woven into one sentence, the first one first
    first, second = text.index("moving nightly batch ETL to streaming"), text.index("on-call rotation")
    assert first < second
    assert "\n" not in text[first:second]
    assert "on on-call" not in text
    assert "I led a 40-pipeline migration to streaming" in text
    assert "https://github.com/ada/engine" in text
    assert text.rstrip().endswith("Ada Lovelace\nhttps://ada.dev")
    if tone != "concise":
        assert "I have run exactly the migration the team is planning" in text


def test_thank_you_the_next_day_says_yesterday_and_uses_the_recipients_day() -> None:
    request = load_request()
    # 09:30 in New York the next morning
    follow_up = follow_up_for(
        request, "thank_you-0", FollowUpKind.THANK_YOU, due_at=datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    )

    assert "yesterday's virtual onsite" in render_follow_up(request, follow_up).text


@pytest.mark.parametrize(
    ("stage", "interview_format", "phrase"),
    [
        ("other", "video", "on today's video call"),
        ("onsite", "in_person", "at today's onsite"),
        ("phone_screen", "phone", "on today's phone screen"),
        ("panel", "video", "during today's panel interview"),
    ],
)
def test_thank_you_names_the_meeting_naturally(stage: str, interview_format: str, phrase: str) -> None:
    request = load_request(interview={"stage": stage, "format": interview_format})

    text = render_follow_up(request, follow_up_for(request, "thank_you-0", FollowUpKind.THANK_YOU)).text

    assert phrase in text


def test_check_in_refers_to_the_decision_date() -> None:
    request = load_request()

    message = render_follow_up(request, follow_up_for(request, "check_in", FollowUpKind.CHECK_IN))

    assert "Friday, December 4" in message.text
    assert message.subject.startswith("Following up")


def test_second_check_in_is_shorter_than_the_first() -> None:
    request = load_request()

    first = render_follow_up(request, follow_up_for(request, "check_in", FollowUpKind.CHECK_IN))
    second = render_follow_up(request, follow_up_for(request, "check_in-2", FollowUpKind.CHECK_IN))

    assert word_count(second.text) < word_count(first.text)
    assert second.subject.startswith("Checking in again")


def test_check_in_without_a_decision_date_counts_from_the_interview_in_the_recipients_timezone() -> None:
    request = load_request(next_steps={"decision_expected_by": None})
    # 15:00 New York on Nov 24 is already 05:00 on Wednesday Nov 25 in Tokyo.
    follow_up = follow_up_for(request, "check_in", FollowUpKind.CHECK_IN, timezone="Asia/Tokyo")

    text = render_follow_up(request, follow_up).text

    assert "since we spoke on Wednesday, November 25, so" in text
    assert "decide by" not in text


def test_final_is_gracious_and_leaves_the_door_open() -> None:
    request = load_request()

    text = render_follow_up(request, follow_up_for(request, "final", FollowUpKind.FINAL)).text

    assert "Thank you again" in text
    assert "pressure" in text
    assert "stay in touch" in text


def test_a_long_company_name_keeps_the_subject_on_one_short_line() -> None:
    long_company = " ".join(["Extraordinarily"] + ["Analytical Engines and Difference Machines"] * 5)[:200].strip()
    subject_words = {
        *long_company.split(),
        *["Principal", "Staff", "Data", "Platform", "Engineer"],
        *FIXED_SUBJECT_WORDS,
    }
    request = load_request(company={"name": long_company}, position={"title": "Principal Staff Data Platform Engineer"})

    for tone in TONES:
        for follow_up_id, kind in STEPS:
            toned = with_tone(request, tone)
            subject = render_follow_up(toned, follow_up_for(toned, follow_up_id, kind)).subject
            assert_subject_ok(subject)
            assert "…" not in subject
            assert "..." not in subject
            for word in re.split(r"[ –:,]+", subject):
                # Whole words only: the company goes first, then the title is shortened at a word boundary.
                assert word in subject_words, word
            assert subject.split()[-1].lower() not in ("of", "and", "for", "the", "at"), subject


def test_a_single_unbroken_company_name_is_dropped_from_the_subject_not_cut() -> None:
    request = load_request(company={"name": "X" * 200}, position={"title": "R" * 200})

    subject = render_follow_up(request, follow_up_for(request, "thank_you-0", FollowUpKind.THANK_YOU)).subject

    assert_subject_ok(subject)
    # Neither name can be shortened at a word boundary: the subject is the complete greeting alone, never a stub.
    assert "…" not in subject
    assert "XXX" not in subject, subject
    assert "RRR" not in subject, subject


def test_line_breaks_never_reach_the_subject_even_if_validation_was_bypassed() -> None:
    request = load_request()
    # model_copy skips validation: stands for data from an older item written before the validators existed.
    company = request.company.model_copy(update={"name": "Evil\r\nBcc: victim@example.com"})
    request = request.model_copy(update={"company": company})

    for follow_up_id, kind in STEPS:
        message = render_follow_up(request, follow_up_for(request, follow_up_id, kind))
        assert_subject_ok(message.subject)


def test_panel_thank_yous_are_distinct() -> None:
    request = load_request("interview-panel.json")

    grace, alan = (
        render_follow_up(request, follow_up_for(request, f"thank_you-{i}", FollowUpKind.THANK_YOU, index=i)).text
        for i in (0, 1)
    )

    assert grace.startswith("Hi Grace,")
    assert alan.startswith("Hi Alan,")
    assert "testing stream processors" in alan
    assert "testing stream processors" not in grace
    assert "moving nightly batch ETL" in grace
    assert "moving nightly batch ETL" not in alan
    assert grace.split("\n")[2].split(".")[0] != alan.split("\n")[2].split(".")[0], "same opening sentence"


@pytest.mark.parametrize("tone", TONES)
def test_panel_members_without_topics_still_get_visibly_different_messages(tone: str) -> None:
    # Given six interviewers who share everything but their names, with no topics at all
    panel = [{"name": f"Person{i} Example", "email": f"p{i}@ae.example"} for i in range(6)]
    request = with_tone(load_request("interview-panel.json", interviewers=panel), tone)

    # When each gets a thank-you
    bodies = []
    for i in range(len(panel)):
        text = render_follow_up(request, follow_up_for(request, f"thank_you-{i}", FollowUpKind.THANK_YOU, index=i)).text
        bodies.append(text.replace(f"Person{i} Example", "NAME").replace(f"Person{i}", "NAME"))
        assert_tidy(
            render_follow_up(request, follow_up_for(request, f"thank_you-{i}", FollowUpKind.THANK_YOU, index=i))
        )

    # Then no two messages are the same once the names are blanked out
    assert len(set(bodies)) == len(bodies)
    assert all("about ." not in body for body in bodies)


@pytest.mark.parametrize(("follow_up_id", "kind"), STEPS, ids=[step[0] for step in STEPS])
def test_submitted_text_is_data_not_template_source(follow_up_id: str, kind: FollowUpKind) -> None:
    request = load_request(
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@ae.example",
                "topics": ["templating with {{ 7*7 }}", "{% raw %}loops{% endraw %} in templates"],
                "linkedin_url": "https://www.linkedin.com/in/example",
            }
        ],
        highlights={"why_fit": "I keep {{ config }} and {% raw %} literal", "experience": "{{ 7*7 }} pipelines"},
    )

    message = render_follow_up(request, follow_up_for(request, follow_up_id, kind))

    if follow_up_id != "check_in-2":
        assert "{{ 7*7 }}" in message.text
        assert "{{ 7*7 }}" in html_lib.unescape(message.html)
    assert "49" not in message.text
    if kind is FollowUpKind.THANK_YOU:
        assert "{% raw %}loops{% endraw %}" in message.text
        assert "I keep {{ config }} and {% raw %} literal." in message.text


@pytest.mark.parametrize(("follow_up_id", "kind"), STEPS, ids=[step[0] for step in STEPS])
def test_markup_in_any_field_is_escaped_in_html_and_verbatim_in_text(follow_up_id: str, kind: FollowUpKind) -> None:
    script = "<script>alert(1)</script>"
    request = load_request(
        company={"name": f"ACME {script}"},
        position={"title": f"Engineer {script}"},
        candidate={"signature": f"Ada {script}\n\"quoted\" & 'single'"},
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@ae.example",
                "title": script,
                "topics": [script],
                "mailing_address": f"1 Main St {script}",
                "linkedin_url": "https://www.linkedin.com/in/example",
            }
        ],
        highlights={"skills": [script], "why_fit": script, "experience": script},
    )

    message = render_follow_up(request, follow_up_for(request, follow_up_id, kind))

    assert script in message.text
    assert "<script" not in message.html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
    assert_subject_ok(message.subject)  # the subject is a header, not HTML: markup stays as typed


def test_unicode_names_render_in_both_parts() -> None:
    request = load_request(
        "interview-panel.json",
        candidate={"name": "Zoë Ångström", "signature": None},
        interviewers=[
            {"name": "Zoë Ångström", "email": "zoe@ae.example", "topics": ["Ørsted's wind data"]},
            {"name": "山田 太郎", "email": "yamada@ae.example", "topics": ["データ品質"]},
            {"name": "Dr. José Müller-Lüdenscheidt", "email": "jose@ae.example"},
        ],
    )

    texts = [
        render_follow_up(request, follow_up_for(request, f"thank_you-{i}", FollowUpKind.THANK_YOU, index=i))
        for i in range(3)
    ]

    assert texts[0].text.startswith("Hi Zoë,")
    # The first token of a Japanese name is the family name: address the person by the full name.
    assert texts[1].text.startswith("Hi 山田 太郎,")
    assert "データ品質" in texts[1].text
    assert "山田 太郎" in texts[1].html
    assert texts[2].text.startswith("Hi José,")
    assert texts[0].text.rstrip().endswith("Zoë Ångström")
    assert "Ørsted&#39;s wind data" in texts[0].html
    for message in texts:
        assert_tidy(message)
    reminder = render_follow_up(request, follow_up_for(request, "reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN))
    assert reminder.text.startswith("Hi Zoë,")


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize(("follow_up_id", "kind"), STEPS, ids=[step[0] for step in STEPS])
def test_sparse_request_renders_cleanly(tone: str, follow_up_id: str, kind: FollowUpKind) -> None:
    # Given only the required fields: no highlights, no decision date, no topics, no signature, no samples
    request = with_tone(
        InterviewRequest.model_validate(
            {
                "candidate": {"name": "Ada Lovelace", "email": "ada@example.com"},
                "company": {"name": "Analytical Engines Ltd"},
                "position": {"title": "Senior Data Engineer"},
                "interview": {"ended_at": "2026-11-24T15:00:00-05:00"},
                "interviewers": [{"name": "Grace Hopper", "email": "grace@ae.example"}],
            }
        ),
        tone,
    )

    message = render_follow_up(request, follow_up_for(request, follow_up_id, kind))

    assert_tidy(message)
    assert "Senior Data Engineer" in message.text
    assert "Analytical Engines" in message.text
    assert "decide by" not in message.text
    assert "expected by" not in message.text
    assert "None" not in message.text
    if kind.is_nudge:
        assert message.text.rstrip().endswith("Ada Lovelace")
    if kind is FollowUpKind.CHECK_IN and follow_up_id == "check_in":
        assert "Tuesday, November 24" in message.text


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize(("follow_up_id", "kind"), STEPS, ids=[step[0] for step in STEPS])
def test_text_and_html_say_the_same_thing(tone: str, follow_up_id: str, kind: FollowUpKind) -> None:
    request = with_tone(load_request("interview-panel.json"), tone)

    message = render_follow_up(request, follow_up_for(request, follow_up_id, kind))

    assert html_words(message.html) == message.text.split()


def test_linkedin_notes_fit_in_300_characters() -> None:
    long = "very " * 37 + "long"  # 189 characters: with the prefixes, at the 200-character field limits
    request = load_request(
        "interview-panel.json",
        company={"name": f"Company {long}"},
        position={"title": f"Role {long}"},
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@ae.example",
                "topics": [f"topic {long}"],
                "linkedin_url": "https://www.linkedin.com/in/grace",
            },
            {"name": "Alan Turing", "email": "alan@ae.example", "linkedin_url": "https://www.linkedin.com/in/alan"},
        ],
    )

    text = render_follow_up(request, follow_up_for(request, "reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN)).text
    notes = re.findall(r'^Suggested note: "(.*)"$', text, re.M)

    assert "https://www.linkedin.com/in/grace" in text
    assert "https://www.linkedin.com/in/alan" in text
    assert len(notes) == 2
    assert all(len(note) <= 300 for note in notes)
    assert notes[1].startswith("Hi Alan,")


def test_linkedin_note_for_the_example_mentions_the_topic() -> None:
    request = load_request()

    text = render_follow_up(request, follow_up_for(request, "reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN)).text
    (note,) = re.findall(r'^Suggested note: "(.*)"$', text, re.M)

    assert "moving nightly batch ETL to streaming" in note
    assert len(note) <= 300


def test_handwritten_note_reminder_lists_each_interviewer_with_address_and_a_three_sentence_note() -> None:
    request = load_request("interview-panel.json")

    text = render_follow_up(
        request, follow_up_for(request, "reminder_handwritten_note", FollowUpKind.REMINDER_HANDWRITTEN_NOTE)
    ).text
    cards = re.findall(r'^Card: "(.*)"$', text, re.M)

    assert text.startswith("Hi Ada,")
    assert "Grace Hopper, Engineering Manager\n1 Main St, New York, NY" in text
    assert "Alan Turing, Staff Engineer\nNo mailing address on file" in text
    assert len(cards) == 2
    # Short enough for a card, and each person's own: a different card for each.
    assert all(len(card.split()) <= 60 for card in cards)
    assert cards[0].startswith("Dear Grace,")
    assert cards[1].startswith("Dear Alan,")
    assert cards[0].split(",", 1)[1] != cards[1].split(",", 1)[1]
    assert all(card.endswith("– Ada") for card in cards)


def test_work_samples_reminder_offers_a_one_line_draft_to_the_primary_contact() -> None:
    request = load_request("interview-panel.json", preferences={"work_samples": []})

    text = render_follow_up(
        request, follow_up_for(request, "reminder_work_samples", FollowUpKind.REMINDER_WORK_SAMPLES)
    ).text

    assert text.startswith("Hi Ada,")
    draft = text.split("\n\n")[3]
    assert draft.startswith('"Hi Grace,')
    assert "\n" not in draft
    # A data engineer offers what engineers share (a code sample or a design doc), not a nurse's references.
    assert "code sample or a design doc" in draft


def test_actions_block_appears_only_when_links_are_given() -> None:
    request = load_request()
    follow_up = follow_up_for(request, "thank_you-0", FollowUpKind.THANK_YOU)

    plain = render_follow_up(request, follow_up)
    with_links = render_follow_up(request, follow_up, links=LINKS)

    assert "Actions" not in plain.text
    assert "Actions" not in plain.html
    assert with_links.text.startswith(plain.text.rstrip("\n"))
    assert with_links.text.endswith(
        "\n\nActions:\nApprove and send: https://followup.example/a/approve-tok\n"
        "Skip this message: https://followup.example/a/skip-tok\n"
    )
    assert '<a href="https://followup.example/a/approve-tok">Approve and send</a>' in with_links.html
    assert '<a href="https://followup.example/a/skip-tok">Skip this message</a>' in with_links.html


def test_candidate_reminder_done_link() -> None:
    request = load_request()
    follow_up = follow_up_for(request, "reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN)

    message = render_follow_up(request, follow_up, links={"done": "https://followup.example/a/done?t=1&u=2"})

    assert "Mark as done: https://followup.example/a/done?t=1&u=2" in message.text
    assert 'href="https://followup.example/a/done?t=1&amp;u=2"' in message.html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://ok.example/\r\nX: y", "ftp://files.example/x"])
def test_action_links_must_be_http(url: str) -> None:
    request = load_request()

    with pytest.raises(ValueError, match="http"):
        render_follow_up(request, follow_up_for(request, "thank_you-0", FollowUpKind.THANK_YOU), links={"stop": url})


def test_very_long_highlights_still_respect_the_word_budget() -> None:
    essay = " ".join(["I have shipped many large and complicated data systems"] * 18)[:1000]
    request = load_request(highlights={"experience": essay, "why_fit": essay, "skills": ["Kafka"]})

    for tone in TONES:
        toned = with_tone(request, tone)
        text = render_follow_up(toned, follow_up_for(toned, "thank_you-0", FollowUpKind.THANK_YOU)).text
        assert word_count(text) <= 200
        assert "Kafka" in text


def test_word_count() -> None:
    assert word_count("Hi Grace,\n\nThank you — really.\n") == 5  # the dash is not a word
    assert word_count("") == 0


def test_environment_is_built_once_with_autoescape_only_for_html() -> None:
    environment = _environment()

    assert environment is _environment()
    assert environment.autoescape("layout.html.j2") is True  # type: ignore[operator]
    assert environment.autoescape("thank_you/warm.txt.j2") is False  # type: ignore[operator]


def test_importing_render_does_not_load_boto3_or_holidays() -> None:
    code = "import sys, followup.messages.render; print(sorted({'boto3', 'holidays'} & set(sys.modules)))"

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("legal", "signature", "country", "expected"),
    [
        # The legal name with a middle name dropped is not a preferred name: the given name greets them.
        ("Rafael Augusto Nogueira", "Rafael Nogueira\nEngenheiro Civil", "BR", "Rafael"),
        ("María José García López", "María José García", "ES", "María José"),
        ("Robert Smith", "Robert Smith", "US", "Robert"),
        # A different given name signed with the legal family name: the name they go by, without the surname.
        ("Robert Smith", "Bob Smith", "US", "Bob"),
        # A middle name shortened to its initial is still the legal name
        ("Lucía Belén Fernández", "Lic. Lucía B. Fernández\nEnfermera", "AR", "Lucía"),
        # Given names signed without the family name that leads the legal one: kept as signed.
        ("Nguyen Minh Anh", "Minh Anh", "VN", "Minh Anh"),
        ("Priya Ramanathan", "Dr. Priya Ramanathan, PhD", "IN", "Priya"),
        ("Prof. Dr. Hans-Peter Müller", "Prof. Dr. Hans-Peter Müller", "DE", "Hans-Peter"),  # stacked titles
    ],
)
def test_candidate_is_greeted_by_the_name_they_go_by(legal: str, signature: str, country: str, expected: str) -> None:
    from followup.messages.names import candidate_preferred_name

    assert candidate_preferred_name(legal, None, signature, country) == expected


@pytest.mark.parametrize(
    ("title", "family"),
    [
        ("Senior Site Engineer", "construction"),
        ("Civil Engineer II", "construction"),
        ("Structural Design Engineer", "construction"),
        ("Senior Process Engineer", "process engineering"),
        ("Chemical Engineer (Scale-up)", "process engineering"),
        ("Site Reliability Engineer", "engineering"),  # "site" alone is not a building site
        ("Staff Software Engineer", "engineering"),
        ("Year 5 Teacher", "teaching"),
        ("Assistant Principal, Middle School", "teaching"),
        ("Principal Scientist, Process Chemistry", "science"),  # "principal" alone is a grade, not a school head
        ("Senior Data Scientist", "engineering"),
    ],
)
def test_work_sample_advice_follows_the_field(title: str, family: str) -> None:
    from followup.messages.fields import advice_for_role

    assert advice_for_role(title).family == family


@pytest.mark.parametrize("value", ["3 yrs team leader, 25 people, night shifts", "led approx 20 ppl on nights"])
def test_note_shorthand_is_left_out_with_a_warning(value: str) -> None:
    from followup.messages.phrasing import Refusal, as_background, as_sentence

    for shape in (as_background(value), as_sentence(value)):
        assert isinstance(shape, Refusal)
        assert "shorthand" in shape.reason
    assert as_background("three years as a team leader of 25 people on night shifts") == (
        "three years as a team leader of 25 people on night shifts"
    )


def test_names_typed_in_one_case_are_written_as_names_and_spanish_titles_are_titles() -> None:
    from followup.messages.names import greeting_for, proper_case

    assert proper_case("DR. JUAN P. ROSSI") == "Dr. Juan P. Rossi"
    assert proper_case("mateo fernández") == "Mateo Fernández"
    assert proper_case("siobhán o'connor") == "Siobhán O'Connor"
    assert proper_case("juan de la cruz") == "Juan de la Cruz"
    assert proper_case("okonkwo-hale") == "Okonkwo-Hale"
    assert proper_case("Ludwig van Beethoven") == "Ludwig van Beethoven"  # mixed case: the person's own
    assert proper_case("McDonald") == "McDonald"
    # Not a name as people write one: left exactly as typed
    assert proper_case("{% if 1 %}jinja{% endif %}") == "{% if 1 %}jinja{% endif %}"
    assert proper_case("grace 2") == "grace 2"
    assert greeting_for("Lic. Carolina Paz", "warm", salutation=None, country="AR").name == "Carolina"
    assert greeting_for("Lic. Carolina Paz", "formal", salutation=None, country="AR").name == "Lic. Paz"
    assert greeting_for("DR. JUAN ROSSI", "formal", salutation=None, country="AR").name == "Dr. Rossi"
    assert greeting_for("DR. JUAN ROSSI", "warm", salutation=None, country="AR").name == "Juan"


def test_reminders_write_an_interviewer_named_in_capitals_as_a_name() -> None:
    from followup.messages.intake import input_warnings

    payload = json.loads((Path(__file__).parents[2] / "examples" / "interview-panel.json").read_text())
    payload["interviewers"][0]["name"] = "DR. GRACE B. HOPPER"
    payload["company"]["name"] = "analytical engines"
    request = InterviewRequest.model_validate(payload)
    for follow_up_id, kind in (
        ("reminder_handwritten_note", FollowUpKind.REMINDER_HANDWRITTEN_NOTE),
        ("reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN),
    ):
        text = render_follow_up(request, follow_up_for(request, follow_up_id, kind)).text
        assert "Dr. Grace B. Hopper" in text
        assert "GRACE" not in text
    # A company name typed all in lower case is kept (it may be the brand's own) but the candidate is told
    warnings = [w for w in input_warnings(request) if w.startswith("company.name")]
    assert warnings == [
        "company.name: 'analytical engines' is all lower case, and the messages use it as typed; write it as the "
        "company does (e.g. 'Analytical Engines')"
    ]
    payload["company"]["name"] = "Analytical Engines"
    assert not [w for w in input_warnings(InterviewRequest.model_validate(payload)) if w.startswith("company.name")]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("SAP EWM", "SAP EWM"),  # acronyms in capitals stay capitals
        ("AWS IAM", "AWS IAM"),
        ("ON-CALL ROTATION", "on-call rotation"),  # shouted words are written as words
        ("THE Q3 PLAN", "the Q3 plan"),
        ("NEW HIRE PAY", "new hire pay"),
    ],
)
def test_capitals_in_a_topic_are_acronyms_or_shouting(typed: str, written: str) -> None:
    from followup.messages.phrasing import as_noun_phrase

    assert as_noun_phrase(typed, frozenset(), article=False) == written


def test_dates_are_written_the_way_the_reader_writes_them() -> None:
    payload = json.loads((Path(__file__).parents[2] / "examples" / "interview.json").read_text())
    payload["company"].update(country="DE", timezone="Europe/Berlin")
    payload["candidate"].update(country="US", timezone="America/New_York")
    payload["next_steps"]["decision_expected_by"] = "2026-12-23"
    request = InterviewRequest.model_validate(payload)
    # To a Berlin interviewer: day first
    check_in = render_follow_up(request, follow_up_for(request, "check_in", FollowUpKind.CHECK_IN)).text
    assert "Wednesday 23 December" in check_in
    assert "December 23" not in check_in
    # The candidate's own reminder (a US candidate): month first
    note = render_follow_up(
        request, follow_up_for(request, "reminder_handwritten_note", FollowUpKind.REMINDER_HANDWRITTEN_NOTE)
    ).text
    assert "Wednesday, December 23" in note


@pytest.mark.parametrize(
    ("skill", "languages"),
    [
        ("fluent Spanish and English", ("Spanish",)),
        ("English", ()),
        ("Spanish, Portuguese and English", ("Spanish and Portuguese",)),
        ("Mandarin", ("Mandarin",)),
    ],
)
def test_a_message_in_english_does_not_say_the_candidate_speaks_english(skill: str, languages: tuple[str, ...]) -> None:
    from followup.messages.intake import read_intake

    payload = json.loads((Path(__file__).parents[2] / "examples" / "interview.json").read_text())
    payload["highlights"]["skills"] = [skill]
    assert read_intake(InterviewRequest.model_validate(payload)).languages == languages


@pytest.mark.parametrize(
    ("topic", "phrase"),
    [("kinship care", "kinship care"), ("patient safety", "patient safety"), ("research plan", "the research plan")],
)
def test_uncountable_topics_take_no_article(topic: str, phrase: str) -> None:
    from followup.messages.phrasing import with_article

    assert with_article(topic) == phrase


@pytest.mark.parametrize(
    ("topic", "phrase"),
    [
        # An exercise the candidate did is named as one: the scenario is not a real case
        (
            "Case scenario: a disclosure at school on a Friday afternoon",
            "the case scenario about a disclosure at school on a Friday afternoon",
        ),
        ("Demo lesson: photosynthesis for Grade 7", "the demo lesson on photosynthesis for Grade 7"),
        # Any other label is a heading, dropped
        ("Q3 plan: hiring targets", "hiring targets"),
    ],
)
def test_a_topic_labelled_as_an_exercise_keeps_its_label(topic: str, phrase: str) -> None:
    from followup.messages.phrasing import as_noun_phrase

    assert as_noun_phrase(topic, frozenset()) == phrase


@pytest.mark.parametrize(
    ("name", "country", "tone", "greeting", "titled"),
    [
        ("Dr. Klaus Wagner", "DE", "warm", "Dr. Wagner", True),  # a typed title is how Germans are addressed
        ("Mrs. Anita Kulkarni", "IN", "concise", "Mrs. Kulkarni", True),
        ("Dr. Jane Smith", "US", "warm", "Jane", False),  # in the US a warm note uses the first name
        ("Klaus Wagner", "DE", "warm", "Klaus", False),  # no title typed: the candidate's call
    ],
)
def test_a_typed_title_is_kept_where_people_are_addressed_by_it(
    name: str, country: str, tone: str, greeting: str, titled: bool
) -> None:
    from followup.messages.names import greeting_for

    found = greeting_for(name, tone, salutation=None, country=country)
    assert (found.name, found.titled) == (greeting, titled)


def test_a_title_with_its_own_dash_gives_the_subject_one_dash() -> None:
    from followup.messages.subjects import fit_subject

    subject = fit_subject(
        "Following our meeting", "Registered Nurse – Adult ICU (night shift)", "Sanatorio Santa Clara"
    )
    assert subject == "Following our meeting – Registered Nurse at Sanatorio Santa Clara"
    assert subject.count("–") == 1


def test_a_candidate_whose_name_order_is_unclear_is_asked_for_the_name_they_go_by() -> None:
    from followup.messages.intake import input_warnings

    payload = json.loads((Path(__file__).parents[2] / "examples" / "interview.json").read_text())
    payload["candidate"].update(name="Emily Chen", country="JP", signature="Emily Chen")
    asked = [w for w in input_warnings(InterviewRequest.model_validate(payload)) if w.startswith("candidate.")]
    assert len(asked) == 1
    assert "greet you as 'Emily Chen'" in asked[0]
    payload["candidate"]["preferred_name"] = "Emily"
    assert not [w for w in input_warnings(InterviewRequest.model_validate(payload)) if w.startswith("candidate.")]


def test_chef_is_a_title_not_a_first_name() -> None:
    from followup.messages.names import greeting_for

    assert greeting_for("Chef Laurent Dubois", "warm", salutation=None, country="FR").name == "Laurent"
    assert greeting_for("Chef Laurent Dubois", "formal", salutation=None, country="FR").name == "Chef Dubois"


def test_a_work_sample_relates_to_a_subject_discussed_never_to_an_exercise_set_in_the_interview() -> None:
    payload = json.loads((Path(__file__).parents[2] / "examples" / "interview.json").read_text())
    payload["interviewers"][0]["topics"] = [
        "Case scenario: a disclosure at school on a Friday afternoon",
        "kinship care",
    ]
    payload["position"]["title"] = "Child Protection Social Worker"
    request = InterviewRequest.model_validate(payload)
    text = render_follow_up(
        request, follow_up_for(request, "reminder_work_samples", FollowUpKind.REMINDER_WORK_SAMPLES)
    ).text
    assert "related to the case scenario" not in text


@pytest.mark.parametrize(
    ("candidate_country", "languages"),
    [("DE", ("Polish",)), ("US", ("German and Polish",)), ("PL", ("German and Polish",))],
)
def test_the_companys_own_language_is_worth_saying_only_for_a_candidate_from_elsewhere(
    candidate_country: str, languages: tuple[str, ...]
) -> None:
    from followup.messages.intake import read_intake

    payload = json.loads((Path(__file__).parents[2] / "examples" / "interview.json").read_text())
    payload["company"].update(country="DE", timezone="Europe/Berlin")
    payload["candidate"]["country"] = candidate_country
    payload["highlights"]["skills"] = ["fluent German, Polish and English"]
    assert read_intake(InterviewRequest.model_validate(payload)).languages == languages


def test_a_title_with_its_own_dash_reads_as_its_head_in_a_sentence() -> None:
    payload = json.loads((Path(__file__).parents[2] / "examples" / "interview.json").read_text())
    payload["position"] = {"title": "Supervising Pharmacist - Cork branch"}
    request = InterviewRequest.model_validate(payload)
    text = render_follow_up(request, follow_up_for(request, "thank_you-0", FollowUpKind.THANK_YOU)).text
    assert "Supervising Pharmacist role" in text
    assert "Cork branch role" not in text


@pytest.mark.parametrize(
    ("legal", "said"),
    [
        ("Constructora del Bajío S.A. de C.V.", "Constructora del Bajío"),
        ("Grupo Norte S. de R.L. de C.V.", "Grupo Norte"),
        ("Pixpay Ltda.", "Pixpay"),
        ("Alpenland Logistik GmbH & Co. KG", "Alpenland Logistik"),
    ],
)
def test_the_company_is_named_without_its_legal_form(legal: str, said: str) -> None:
    from followup.messages.names import short_company

    assert short_company(legal) == said
