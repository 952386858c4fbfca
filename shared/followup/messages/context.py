"""Everything a message template sees, computed once in Python: names, the meeting, and — for a panel — which
topic, proof point, phrasing and fit statement each person's letter carries, so no two letters of a panel
share a sentence.

All values are plain strings, booleans, integers, or lists/dicts of them: submitted text is data here, already
normalised to the grammatical kind of the slot it fills (`followup.messages.intake`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from followup.core.text import CONTROL_CHARS, LINE_BREAKS, MONTHS, WEEKDAYS
from followup.domain.kinds import FollowUpKind
from followup.domain.models import Interviewer, InterviewRequest, PlannedFollowUp
from followup.messages.fields import advice_for_role
from followup.messages.intake import Intake, keywords, read_intake
from followup.messages.names import candidate_preferred_name, given_name, greeting_for, proper_case, short_company
from followup.messages.phrasing import topic_kind
from followup.messages.subjects import title_head

__all__ = ["TEMPLATE_VARIABLES", "VARIANTS", "addressee", "panel_allocation", "template_context"]

# Phrasing variants per slot of a thank-you: six, so a panel of up to six never shares an opening or a closing;
# from the seventh person on, letters use the compact forms (every sentence under eight words).
VARIANTS = 6

# Every name a message template can use (docs/templates.md documents each one); custom templates are checked
# against this list at load. `br` is a global, the rest come from `template_context`.
TEMPLATE_VARIABLES: frozenset[str] = frozenset(
    {
        "tone",
        "kind",
        "variant",
        "compact",
        "trim",
        "order",
        "second",
        "greeting",
        "greeting_name",
        "hello",
        "first_name",
        "full_name",
        "candidate_first_name",
        "candidate_name",
        "role",
        "role_full",
        "company",
        "company_full",
        "meeting",
        "meeting_noun",
        "interview_date",
        "decision_date",
        "topics",
        "topic_skill",
        "topic_kinds",
        "sample_topic",
        "skills",
        "languages",
        "proof",
        "why_fit",
        "background",
        "experience",
        "work_samples",
        "sample_advice",
        "sample_short",
        "sample_topical",
        "signature",
        "people",
        "panel_size",
        "panel_position",
        "br",
    }
)

# (preposition, noun) per stage, refined by format, so the thank-you names the meeting the way a person would.
_MEETINGS: Mapping[tuple[str, str | None], tuple[str, str]] = {
    ("phone_screen", "video"): ("on", "screening call"),
    ("phone_screen", None): ("on", "phone screen"),
    ("technical", None): ("during", "technical interview"),
    ("onsite", "in_person"): ("at", "onsite"),
    ("onsite", "video"): ("during", "virtual onsite"),
    ("onsite", None): ("during", "onsite interviews"),
    ("panel", None): ("during", "panel interview"),
    ("final", None): ("during", "final-round interview"),
    ("other", "video"): ("on", "video call"),
    ("other", "phone"): ("on", "phone call"),
    ("other", None): ("during", "interview"),
}
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean(value: str) -> str:
    """One line of data: no line breaks (they would collide with paragraph markup), no control characters."""
    return _SPACES.sub(" ", CONTROL_CHARS.sub("", LINE_BREAKS.sub(" ", value))).strip()


def lines(value: str | None) -> list[str]:
    return [line for line in (clean(part) for part in LINE_BREAKS.split(value or "")) if line]


@dataclass(frozen=True)
class Allocation:
    """What one panel member's thank-you carries."""

    position: int  # place in the panel (0-based, the submitted order)
    variant: int  # phrasing variant, distinct within the first VARIANTS people
    compact: bool  # the seventh person on: every sentence under eight words
    topics: tuple[str, ...]
    skills: tuple[str, ...]
    proof: str  # an achievement or experience sentence, not given to anyone else in the panel
    why_fit: str  # the candidate's "why I fit" sentence: one letter of the panel carries it
    background: str = ""  # experience as a noun phrase: one letter (the first without a proof) carries it


def _seed(request: InterviewRequest) -> int:
    """A stable hash of role, company and candidate picks the starting phrasing, so two interviews do not all
    open the same way; the panel position then steps through the variants."""
    return zlib.crc32(f"{request.position.title}|{request.company.name}|{request.candidate.name}".encode())


def _pick_skills(skills: Sequence[str], topics: Sequence[str], position: int) -> tuple[str, ...]:
    """Up to two skills: those the person's topics mention first, then rotated by panel position."""
    if not skills:
        return ()
    mentioned = [skill for skill in skills if any(skill.lower() in topic.lower() for topic in topics)]
    start = position % len(skills)
    rotated = list(skills[start:]) + list(skills[:start])
    ordered = mentioned + [skill for skill in rotated if skill not in mentioned]
    # A skill with its own "and" ("Westlaw and Relativity") stands alone: "X and Y and Z" reads as a list gone wrong.
    if " and " in ordered[0] or (len(ordered) > 1 and " and " in ordered[1]):
        return (ordered[0],)
    return tuple(ordered[:2])


def panel_allocation(request: InterviewRequest, intake: Intake | None = None) -> list[Allocation]:
    """Who gets which topic, proof point and phrasing. The primary contact is served first (best-matching proof
    and the "why I fit" sentence); each proof goes to the person whose topics it matches best, and never to two
    people."""
    intake = intake or read_intake(request)
    size = len(request.interviewers)
    primary = request.primary_contact_index
    order = [primary] + [index for index in range(size) if index != primary]
    # Each proof goes to the person whose topics it matches best, across the whole panel (best matches first);
    # proofs that match nobody then go to people still without one, primary contact first.
    wanted = {index: frozenset().union(*(keywords(topic) for topic in intake.topics[index])) for index in order}
    pairs = sorted(
        (
            (len(proof.keywords & wanted[index]), -number, -order.index(index), number, index)
            for number, proof in enumerate(intake.proofs)
            for index in order
        ),
        reverse=True,
    )
    proofs: dict[int, str] = {}
    given: set[int] = set()
    for score, _, _, number, index in pairs:
        if score > 0 and number not in given and index not in proofs:
            proofs[index] = intake.proofs[number].sentence
            given.add(number)
    leftovers = [number for number in range(len(intake.proofs)) if number not in given]
    for index in order:
        if not leftovers:
            break
        if index not in proofs:
            proofs[index] = intake.proofs[leftovers.pop(0)].sentence
    # Experience written as a noun phrase goes to the first person (primary first) without a proof point.
    background_to = next((index for index in order if index not in proofs), None) if intake.background else None
    seed = _seed(request)
    return [
        Allocation(
            position=index,
            variant=(seed + index) % VARIANTS,
            compact=index >= VARIANTS,
            topics=intake.topics[index],
            # Compact letters (the seventh person on) keep every sentence short: no skills line, which could repeat.
            skills=() if index >= VARIANTS else _pick_skills(intake.skills, intake.topics[index], index),
            proof=proofs.get(index, ""),
            why_fit=intake.why_fit if index == primary else "",
            background=intake.background if index == background_to else "",
        )
        for index in range(size)
    ]


def addressee(request: InterviewRequest, follow_up: PlannedFollowUp) -> tuple[int, Interviewer]:
    """The interviewer a message is to or about: by index, else by address, else the primary contact."""
    index = follow_up.interviewer_index
    if index is not None and 0 <= index < len(request.interviewers):
        return index, request.interviewers[index]
    for position, person in enumerate(request.interviewers):
        if str(person.email).lower() == follow_up.to.lower():
            return position, person
    primary = request.primary_contact_index
    return primary, request.interviewers[primary]


def template_context(request: InterviewRequest, follow_up: PlannedFollowUp, *, trim: int = 0) -> dict[str, Any]:
    """Every variable a message template sees (TEMPLATE_VARIABLES, `br` aside).

    `trim` > 0 asks the templates for a shorter message: boilerplate goes first, specifics last.
    """
    intake = read_intake(request)
    zone = ZoneInfo(follow_up.timezone)
    today = follow_up.due_at.astimezone(zone).date()
    interview_day = request.interview.ended_at.astimezone(zone).date()
    index, person = addressee(request, follow_up)
    tone = request.preferences.tone
    kind = FollowUpKind(follow_up.kind)
    allocation = panel_allocation(request, intake)[index]
    if kind is not FollowUpKind.THANK_YOU:
        # Nudges and reminders are single messages: they may use everything.
        allocation = Allocation(
            position=allocation.position,
            variant=allocation.variant,
            compact=False,
            topics=allocation.topics,
            skills=_pick_skills(intake.skills, allocation.topics, 0),
            proof=allocation.proof or (intake.proofs[0].sentence if intake.proofs else ""),
            why_fit=intake.why_fit,
            background=intake.background if not intake.proofs else "",
        )
    decision = request.next_steps.decision_expected_by
    preposition, noun = _meeting(request)
    country = person.country or request.company.country
    # Whose way of writing dates: the interviewer's for messages to them, the candidate's for their reminders.
    reader_country = country if kind.is_nudge else request.candidate.country or country
    greeting = greeting_for(person.name, tone, salutation=person.salutation, country=country)
    candidate_name = proper_case(clean(request.candidate.name))
    preferred = candidate_preferred_name(
        request.candidate.name, request.candidate.preferred_name, request.candidate.signature, request.candidate.country
    )
    advice = advice_for_role(request.position.title)
    people_indexes = [index] if follow_up.interviewer_index is not None else list(range(len(request.interviewers)))
    topics = list(allocation.topics)
    return {
        "tone": tone,
        "kind": kind.value,
        "variant": allocation.variant,
        "compact": allocation.compact,
        "trim": trim,
        # What the interviewer discussed leads when there is something to cite; otherwise the fit leads.
        "order": 0 if topics else 1,
        "second": _sequence_number(follow_up.id) >= 2,
        "greeting": greeting.name,
        "greeting_name": greeting.name,
        # "Hi" in warm and concise messages, "Dear" before a title ("Dear Dr. Wagner") whatever the tone.
        "hello": "Dear" if greeting.titled else "Hi",
        "first_name": given_name(person.name, country),
        "full_name": clean(proper_case(person.name)),
        "candidate_first_name": preferred,
        "candidate_name": candidate_name,
        # The title as it reads in a sentence: its qualifier after a dash dropped (`role_full` keeps it).
        "role": clean(request.position.short_title or title_head(request.position.title)),
        "role_full": clean(request.position.title),
        "company": clean(request.company.short_name or short_company(request.company.name)),
        "company_full": clean(request.company.name),
        "meeting": _meeting_phrase(preposition, noun, interview_day, today, reader_country),
        "meeting_noun": noun,
        "interview_date": format_day(interview_day, today, reader_country),
        "decision_date": format_day(decision, today, reader_country) if decision else "",
        "topics": topics,
        "topic_kinds": list(intake.topic_kinds[index]),
        # A work sample can relate to a subject discussed, never to an exercise set in the interview.
        "sample_topic": next((topic for topic in topics if topic_kind(topic) != "exercise"), ""),
        "topic_skill": next((s for s in allocation.skills if any(s.lower() in t.lower() for t in topics)), ""),
        "skills": list(allocation.skills),
        # Languages go in one letter of a panel (the primary contact's) and in the nudges.
        "languages": list(intake.languages)
        if allocation.why_fit
        or kind is not FollowUpKind.THANK_YOU
        or (allocation.position == request.primary_contact_index)
        else [],
        "proof": allocation.proof,
        "why_fit": allocation.why_fit,
        "background": allocation.background,
        "experience": allocation.proof,
        "work_samples": [str(url) for url in request.preferences.work_samples],
        "sample_advice": advice.sample,
        "sample_short": advice.sample_short,
        "sample_topical": advice.topical,
        "signature": lines(request.candidate.signature) or [candidate_name],
        "people": [_person(request, intake, i, tone) for i in people_indexes],
        "panel_size": len(request.interviewers),
        "panel_position": allocation.position,
    }


def _person(request: InterviewRequest, intake: Intake, index: int, tone: str) -> dict[str, Any]:
    person = request.interviewers[index]
    country = person.country or request.company.country
    topics = intake.topics[index]
    person_greeting = greeting_for(person.name, tone, salutation=person.salutation, country=country)
    return {
        "name": clean(proper_case(person.name)),
        "first_name": given_name(person.name, country),
        "greeting": person_greeting.name,
        "greeting_name": person_greeting.name,
        "hello": "Dear" if person_greeting.titled or tone == "formal" else "Hi",
        "title": clean(person.title or ""),
        "topic": topics[0] if topics else "",
        "address": lines(person.mailing_address),
        "linkedin_url": str(person.linkedin_url) if person.linkedin_url else "",
        "position": index,
        "variant": (_seed(request) + index) % VARIANTS,
    }


def _meeting(request: InterviewRequest) -> tuple[str, str]:
    details = request.interview
    return _MEETINGS.get((details.stage, details.format)) or _MEETINGS[(details.stage, None)]


# Where dates are written month first ("December 23"); elsewhere day first ("23 December"), as English is written
# in the UK, Ireland, India, Australia and by most readers of English abroad. Without a country: month first.
_MONTH_FIRST = frozenset({"US", "CA", "PH", "PR", "AS", "GU", "MP", "UM", "VI", "FM", "MH", "PW"})


def writes_month_first(country: str | None) -> bool:
    """Whether readers in `country` write dates month first ("December 23"); without a country, yes."""
    return country is None or country.upper() in _MONTH_FIRST


def _meeting_phrase(preposition: str, noun: str, interview_day: date, today: date, country: str | None) -> str:
    """'during today's virtual onsite', 'on yesterday's video call', 'at the onsite on November 24' ('24 November'
    where dates are written day first)."""
    days = (today - interview_day).days
    if days == 0:
        return f"{preposition} today's {noun}"
    if days == 1:
        return f"{preposition} yesterday's {noun}"
    # No weekday here: "on Tuesday, June 16" would need a closing comma wherever the sentence goes on.
    month = MONTHS[interview_day.month - 1]
    if writes_month_first(country):
        day = f"{month} {interview_day.day}"
        day = day if interview_day.year == today.year else f"{day}, {interview_day.year}"
    else:
        day = f"{interview_day.day} {month}"
        day = day if interview_day.year == today.year else f"{day} {interview_day.year}"
    # "the", not "our": the interview was theirs as much as the candidate's ("our onsite" sounds like the host).
    return f"{preposition} the {noun} on {day}"


def format_day(day: date, today: date, country: str | None = None) -> str:
    """'Wednesday, December 23' where dates are written month first, 'Wednesday 23 December' elsewhere; the year
    when it is not this one."""
    # Month names are spelled out here rather than by strftime, whose output follows the process locale.
    if writes_month_first(country):
        text = f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}"
        return text if day.year == today.year else f"{text}, {day.year}"
    text = f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


def _sequence_number(follow_up_id: str) -> int:
    """'check_in-2' → 2, 'check_in' → 1: the planner numbers repeated steps of one kind."""
    match = re.search(r"-(\d+)$", follow_up_id)
    return int(match.group(1)) if match else 1
