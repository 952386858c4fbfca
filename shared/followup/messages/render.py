"""Render a planned follow-up into the subject, plain text and HTML of one email.

One Jinja2 body template per kind and tone writes the message as plain-text paragraphs; `layout.html.j2`
(autoescaped) turns those same paragraphs into HTML, so the two parts can never say different things.
Everything the candidate submitted reaches the templates as data only, never as template source.

Why one module of this length: the context, the environment and the subjects of one message are computed
together in one pass; helpers live in `core/text.py`.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from followup.core.text import CONTROL_CHARS, HONORIFICS, LINE_BREAKS, MONTHS, WEEKDAYS
from followup.domain.kinds import KINDS, FollowUpKind, UnknownKindError
from followup.domain.models import Interviewer, InterviewRequest, PlannedFollowUp

if TYPE_CHECKING:
    from jinja2 import Environment, Template


class TemplateSet(Protocol):
    """Templates that replace the built-in ones (`followup.messages.custom_templates.TemplateSet` is one)."""

    @property
    def environment(self) -> Environment: ...

    def body_template_names(self, kind: FollowUpKind, tone: str) -> list[str]: ...

    def render_subject(self, kind: FollowUpKind, tone: str, context: Mapping[str, Any]) -> str | None: ...


# Jinja2 is imported where an environment is built (the first render), not at import: modules that import this one
# for its constants and helpers do not pay for it, and the sender pays it at its first render, not in its init.

SUBJECT_MAX = 70
LINKEDIN_NOTE_MAX = 300  # LinkedIn's limit for a connection-request note
WORD_LIMITS: Mapping[FollowUpKind, int] = {
    kind: spec.word_limit for kind, spec in KINDS.items() if spec.word_limit is not None
}

# Phrasing variants per slot of a thank-you: six, so a panel of up to six never shares an opening or a closing.
VARIANTS = 6
# Every name a message template can use (docs/templates.md documents each one); custom templates are checked
# against this list at load. `br` is a global, the rest come from `template_context`.
TEMPLATE_VARIABLES: frozenset[str] = frozenset(
    {
        "tone",
        "kind",
        "variant",
        "order",
        "second",
        "first_name",
        "full_name",
        "greeting_name",
        "candidate_first_name",
        "candidate_name",
        "role",
        "company",
        "meeting",
        "meeting_noun",
        "interview_date",
        "decision_date",
        "topics",
        "topic_skill",
        "skills",
        "experience",
        "why_fit",
        "work_samples",
        "signature",
        "people",
        "panel_size",
        "br",
    }
)

# Templates mark a hard line break with this character: a single newline in a template only wraps the source,
# so sentences can sit on their own lines there. Data never carries it (see `_clean`).
LINE_BREAK = "\u2028"

_ACTION_LABELS = {
    "approve": "Approve and send",
    "skip": "Skip this message",
    "stop": "Stop all follow-ups",
    "done": "Mark as done",
}
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
# Scripts where the first token of a name is usually the family name: address the person by the full name.
_FAMILY_NAME_FIRST = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# First words that make `experience` a clause we can prefix with "I" ("led a migration" → "I led a migration").
_CLAUSE_STARTERS = frozenset(
    {
        "built",
        "ran",
        "led",
        "grew",
        "made",
        "wrote",
        "set",
        "won",
        "drove",
        "took",
        "brought",
        "taught",
        "began",
        "became",
        "held",
        "kept",
        "sold",
        "spent",
        "oversaw",
        "rebuilt",
        "rewrote",
        "cut",
        "have",
        "am",
        "was",
        "worked",
        "own",
        "run",
        "lead",
        "build",
        "manage",
    }
)
_SPACES = re.compile(r"[ \t\u00a0]+")
_URL = re.compile(r"https?://[^\s<>\"']+")
_URL_TRAILING = ".,;:!?)]}"
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class RenderedMessage:
    """One email ready for SES: a single-line subject and two parts saying the same thing."""

    subject: str
    text: str
    html: str


def word_count(text: str) -> int:
    """Words a reader would count: whitespace-separated tokens that contain a letter or digit."""
    return sum(1 for token in _WORD.findall(text) if any(ch.isalnum() for ch in token))


def render_follow_up(
    request: InterviewRequest,
    follow_up: PlannedFollowUp,
    *,
    links: Mapping[str, str] | None = None,
    templates: TemplateSet | None = None,
) -> RenderedMessage:
    """Render `follow_up` of `request` in the candidate's chosen tone.

    `links` adds an "Actions" block (e.g. {"done": url} for a candidate reminder, or approve/skip/stop for a
    review-mode draft); without it the message carries no action links. Dates are shown in the recipient's
    timezone (`follow_up.timezone`). `templates` (see `followup.messages.custom_templates`) replaces the built-in body
    and subject templates it defines; the rest, and the HTML layout, stay built in. Raises `ValueError` for an
    action link that is not http(s).
    """
    kind = FollowUpKind(follow_up.kind)
    tone = request.preferences.tone
    context = template_context(request, follow_up)
    environment: Environment
    if templates is not None:
        environment, names = templates.environment, templates.body_template_names(kind, tone)
    else:
        environment, names = _environment(), [f"{kind.value}/{tone}.txt.j2", f"{kind.value}/any.txt.j2"]
    paragraphs = _render_body(kind, environment.select_template(names), context)
    actions = _actions(links)

    text = "\n\n".join("\n".join(lines) for lines in paragraphs)
    if actions:
        text += "\n\nActions:\n" + "\n".join(f"{action['label']}: {action['url']}" for action in actions)
    html = (
        _environment()
        .get_template("layout.html.j2")
        .render(paragraphs=[[_link_segments(line) for line in lines] for lines in paragraphs], actions=actions)
    )
    subject = None
    if templates is not None:
        subject = templates.render_subject(kind, tone, context)
    if subject is None:
        subject = _subject(kind, follow_up, context)
    return RenderedMessage(subject=subject, text=text + "\n", html=html)


# --- Jinja2 -------------------------------------------------------------------------------------------------------


@functools.cache
def _environment() -> Environment:
    # Built on first use, not at import: cold starts that never render (planner, feedback) skip the cost.
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("followup.messages", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False, default=False),
    )
    return configure_environment(environment)


def configure_environment(environment: Environment) -> Environment:
    """Give `environment` the settings, filters and globals every message template relies on.

    Shared with the sandboxed environment of custom templates, so a template renders the same in both.
    """
    from jinja2 import StrictUndefined

    environment.undefined = StrictUndefined
    environment.autoescape = _autoescape()
    environment.trim_blocks = True
    environment.lstrip_blocks = True
    environment.finalize = _refuse_none
    environment.auto_reload = False
    environment.filters["capfirst"] = _capfirst
    environment.filters["join_and"] = _join_and
    environment.globals["br"] = LINE_BREAK
    return environment


def subject_line(rendered: str) -> str:
    """A rendered custom subject made header-safe: one line, single spaces, at most SUBJECT_MAX characters."""
    return _shorten(_clean(rendered), SUBJECT_MAX)


def _autoescape() -> Callable[[str | None], bool]:
    # On for the HTML layout only: the text templates write plain text, which the layout escapes.
    from jinja2 import select_autoescape

    return select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False, default=False)


def _refuse_none(value: Any) -> Any:
    # StrictUndefined catches missing names; this catches a present-but-None value that would print "None".
    if value is None:
        raise TypeError("a template printed None: pass '' or guard the sentence with {% if %}")
    return value


def _render_body(kind: FollowUpKind, template: Template, context: dict[str, Any]) -> list[list[str]]:
    limit = WORD_LIMITS.get(kind)
    paragraphs = _tidy(template.render(context))
    # Very long submitted text could push a message past its word budget: drop optional content, least
    # important first, rather than send a wall of text. Topics go last: they make the message personal.
    shorter_steps: tuple[tuple[str, Any], ...] = (
        ("why_fit", ""),
        ("experience", ""),
        ("topics", context["topics"][:1]),
        ("skills", context["skills"][:1]),
        ("work_samples", context["work_samples"][:1]),
        ("topics", []),
    )
    for key, shorter in shorter_steps:
        if limit is None or _words(paragraphs) <= limit:
            break
        context = {**context, key: shorter}
        paragraphs = _tidy(template.render(context))
    return paragraphs


def _words(paragraphs: list[list[str]]) -> int:
    return sum(word_count(line) for lines in paragraphs for line in lines)


def _tidy(rendered: str) -> list[list[str]]:
    """Split template output into paragraphs of lines, with no double spaces and no empty lines or paragraphs."""
    paragraphs: list[list[str]] = []
    for block in re.split(r"\n[ \t]*\n", rendered):
        lines = [_SPACES.sub(" ", line).strip() for line in block.replace("\n", " ").split(LINE_BREAK)]
        lines = [line for line in lines if line]
        if lines:
            paragraphs.append(lines)
    return paragraphs


def _link_segments(line: str) -> list[dict[str, str]]:
    """Cut a line into text and URL pieces so the HTML layout can make links without trusting any markup."""
    segments: list[dict[str, str]] = []
    position = 0
    for match in _URL.finditer(line):
        url = match.group().rstrip(_URL_TRAILING)
        if match.start() > position:
            segments.append({"text": line[position : match.start()], "url": ""})
        segments.append({"text": url, "url": url})
        position = match.start() + len(url)
    if position < len(line):
        segments.append({"text": line[position:], "url": ""})
    return segments


def _actions(links: Mapping[str, str] | None) -> list[dict[str, str]]:
    actions = []
    for key, url in (links or {}).items():
        if urlsplit(url).scheme not in ("http", "https") or LINE_BREAKS.search(url) or " " in url:
            raise ValueError(f"action link {key!r} must be a single http(s) URL")
        label = _ACTION_LABELS.get(key, key.replace("_", " ").capitalize())
        actions.append({"label": label, "url": url})
    return actions


# --- Context: everything the templates need, computed once in Python -----------------------------------------------


def template_context(request: InterviewRequest, follow_up: PlannedFollowUp) -> dict[str, Any]:
    """Every variable a message template sees (the names in TEMPLATE_VARIABLES, `br` aside), computed once.

    All values are plain strings, booleans, integers, or lists/dicts of them: submitted text is data here.
    """
    zone = ZoneInfo(follow_up.timezone)
    today = follow_up.due_at.astimezone(zone).date()
    interview_day = request.interview.ended_at.astimezone(zone).date()
    index, person = addressee(request, follow_up)
    tone = request.preferences.tone
    highlights = request.highlights
    topics = _topics(person)
    skills = _pick_skills(highlights.skills, topics, index)
    decision = request.next_steps.decision_expected_by
    preposition, noun = _meeting(request)
    signature = _lines(request.candidate.signature) or [_clean(request.candidate.name)]

    people_indexes = [index] if follow_up.interviewer_index is not None else list(range(len(request.interviewers)))
    return {
        "tone": tone,
        "kind": FollowUpKind(follow_up.kind).value,
        "variant": _variant(request, index),
        # Sentence order follows the content: what the interviewer discussed leads when there is something to cite;
        # without topics the candidate's fit leads, so the message does not open on a generic line.
        "order": 0 if topics else 1,
        "second": _sequence_number(follow_up.id) >= 2,
        "first_name": _first_name(person.name),
        "full_name": _clean(person.name),
        "greeting_name": _clean(person.name) if tone == "formal" else _first_name(person.name),
        "candidate_first_name": _first_name(request.candidate.name),
        "candidate_name": _clean(request.candidate.name),
        "role": _clean(request.position.title),
        "company": _clean(request.company.name),
        "meeting": _meeting_phrase(preposition, noun, interview_day, today),
        "meeting_noun": noun,
        "interview_date": _format_day(interview_day, today),
        "decision_date": _format_day(decision, today) if decision else "",
        "topics": topics,
        "topic_skill": next((skill for skill in skills if any(skill.lower() in t.lower() for t in topics)), ""),
        "skills": skills,
        "experience": _experience_clause(highlights.experience),
        "why_fit": _lower_first(_strip_end(_clean(highlights.why_fit or ""))),
        "work_samples": [str(url) for url in request.preferences.work_samples],
        "signature": signature,
        "people": [_person(request, i, tone) for i in people_indexes],
        "panel_size": len(request.interviewers),
    }


def _variant(request: InterviewRequest, index: int) -> int:
    """Which phrasing a thank-you uses: varies with the interview's content, and differs within a panel.

    A stable hash of the role, company and candidate picks the starting phrasing (so two candidates, or two
    interviews, do not all open the same way); the interviewer's position then steps through the variants, so
    panel members up to VARIANTS never share one.
    """
    seed = zlib.crc32(f"{request.position.title}|{request.company.name}|{request.candidate.name}".encode())
    return (seed + index) % VARIANTS


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


def _person(request: InterviewRequest, index: int, tone: str) -> dict[str, Any]:
    person = request.interviewers[index]
    topics = _topics(person)
    entry = {
        "name": _clean(person.name),
        "first_name": _first_name(person.name),
        "greeting_name": _clean(person.name) if tone == "formal" else _first_name(person.name),
        "title": _clean(person.title or ""),
        "topic": topics[0] if topics else "",
        "address": _lines(person.mailing_address),
        "linkedin_url": str(person.linkedin_url) if person.linkedin_url else "",
    }
    entry["linkedin_note"] = _linkedin_note(request, entry)
    return entry


def _linkedin_note(request: InterviewRequest, person: dict[str, Any]) -> str:
    """A connection note within LinkedIn's 300 characters: the fullest version that fits, never a cut sentence."""
    template = _environment().get_template("reminder_linkedin/note.txt.j2")
    base = {
        "first_name": person["first_name"],
        "candidate_first_name": _first_name(request.candidate.name),
        "role": _clean(request.position.title),
        "company": _clean(request.company.name),
        "topic": person["topic"],
    }
    attempts = (
        base,
        {**base, "topic": ""},
        {**base, "topic": "", "role": _shorten(base["role"], 60), "company": _shorten(base["company"], 60)},
    )
    note = ""
    for attempt in attempts:
        # A shortened name ends in "…"; the sentence's own full stop after it would read as a typo.
        note = " ".join(" ".join(lines) for lines in _tidy(template.render(attempt))).replace("….", "…")
        if len(note) <= LINKEDIN_NOTE_MAX:
            return note
    return _shorten(note, LINKEDIN_NOTE_MAX)


def _meeting(request: InterviewRequest) -> tuple[str, str]:
    details = request.interview
    return _MEETINGS.get((details.stage, details.format)) or _MEETINGS[(details.stage, None)]


def _meeting_phrase(preposition: str, noun: str, interview_day: date, today: date) -> str:
    """'during today's virtual onsite', 'on yesterday's video call', 'at our onsite on Tuesday, November 24'."""
    days = (today - interview_day).days
    if days == 0:
        return f"{preposition} today's {noun}"
    if days == 1:
        return f"{preposition} yesterday's {noun}"
    return f"{preposition} our {noun} on {_format_day(interview_day, today)}"


def _format_day(day: date, today: date) -> str:
    # Month names are spelled out here rather than by strftime, whose output follows the process locale.
    text = f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"


def _sequence_number(follow_up_id: str) -> int:
    """'check_in-2' → 2, 'check_in' → 1: the planner numbers repeated steps of one kind."""
    match = re.search(r"-(\d+)$", follow_up_id)
    return int(match.group(1)) if match else 1


def _topics(person: Interviewer) -> list[str]:
    return [topic for topic in (_strip_end(_clean(t)) for t in person.topics) if topic][:2]


def _pick_skills(skills: Sequence[str], topics: Sequence[str], index: int) -> list[str]:
    """Up to two skills: those the interviewer's topics mention first, then rotated by index for panel variety."""
    cleaned = [skill for skill in (_clean(s) for s in skills) if skill]
    if not cleaned:
        return []
    mentioned = [skill for skill in cleaned if any(skill.lower() in topic.lower() for topic in topics)]
    start = index % len(cleaned)
    rotated = cleaned[start:] + cleaned[:start]
    ordered = mentioned + [skill for skill in rotated if skill not in mentioned]
    return ordered[:2]


def _experience_clause(experience: str | None) -> str:
    """Turn `experience` into a clause: 'I led a migration' or 'my experience includes five years of Kafka'."""
    text = _strip_end(_clean(experience or ""))
    if not text:
        return ""
    first = text.split()[0].lower()
    if first in ("i", "i'm", "i’m", "i've", "i’ve"):
        return text
    if first in _CLAUSE_STARTERS or (first.endswith("ed") and len(first) > 3):
        return f"I {_lower_first(text)}"
    # A noun phrase keeps its capitals: it may start with a product or company name.
    return f"my experience includes {text}"


# --- Text helpers -------------------------------------------------------------------------------------------------


def _clean(value: str) -> str:
    """One line of data: no line breaks (they would collide with paragraph markup), no control characters."""
    return _SPACES.sub(" ", CONTROL_CHARS.sub("", LINE_BREAKS.sub(" ", value))).strip()


def _lines(value: str | None) -> list[str]:
    return [line for line in (_clean(part) for part in LINE_BREAKS.split(value or "")) if line]


def _strip_end(text: str) -> str:
    return text.rstrip(" .;,")


def first_name(name: str) -> str:
    """How a message greets a person informally: the first given name, or the full name in family-name-first
    scripts (CJK, Hangul) where the first token is the family name."""
    return _first_name(name)


def _first_name(name: str) -> str:
    cleaned = _clean(name)
    if _FAMILY_NAME_FIRST.search(cleaned):
        return cleaned
    tokens = [token for token in cleaned.split() if token.rstrip(".").lower() not in HONORIFICS]
    return tokens[0] if tokens else cleaned


def _lower_first(text: str) -> str:
    """'Led a team' → 'led a team', but 'AWS work' and 'I think' keep their capitals."""
    if not text:
        return text
    word = text.split()[0]
    if len(word) > 1 and word[0].isupper() and word[1:] == word[1:].lower() and not word.startswith(("I'", "I’")):
        return text[0].lower() + text[1:]
    return text


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join_and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _shorten(text: str, limit: int) -> str:
    """Fit `text` in `limit` characters, cutting at a word boundary and marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 3:  # a word boundary close enough to the limit; else cut the long word, visibly
        cut = cut[:space]
    return cut.rstrip(" ,;:–-") + "…"


# --- Subject ------------------------------------------------------------------------------------------------------


def _subject(kind: FollowUpKind, follow_up: PlannedFollowUp, context: dict[str, Any]) -> str:
    try:
        rule = _SUBJECT_RULES[kind]
    except KeyError:
        raise UnknownKindError(f"no subject rule for follow-up kind {kind!r}") from None
    return rule(context)


def _thank_you_subject(context: dict[str, Any]) -> str:
    role, company, tone = context["role"], context["company"], context["tone"]
    if tone == "formal":
        return _fit_subject("Thank you: ", role, company, joiner=" interview at ")
    if tone == "concise":
        return _fit_subject("Thanks – ", role, company)
    return _fit_subject(f"Thank you, {_shorten(context['first_name'], 20)} – ", role, company)


def _check_in_subject(context: dict[str, Any]) -> str:
    prefix = "Checking in again – " if context["second"] else "Following up – "
    return _fit_subject(prefix, context["role"], context["company"])


# One subject rule per kind; a kind without one is an error, never a default subject.
_SUBJECT_RULES: Mapping[FollowUpKind, Callable[[dict[str, Any]], str]] = {
    FollowUpKind.THANK_YOU: _thank_you_subject,
    FollowUpKind.CHECK_IN: _check_in_subject,
    FollowUpKind.FINAL: lambda c: _fit_subject("Thank you again – ", c["role"], c["company"]),
    FollowUpKind.REMINDER_HANDWRITTEN_NOTE: lambda c: _fit_subject(
        "Reminder: handwritten thank-you note – ", None, c["company"]
    ),
    FollowUpKind.REMINDER_LINKEDIN: lambda c: _fit_subject("Reminder: connect on LinkedIn – ", None, c["company"]),
    FollowUpKind.REMINDER_WORK_SAMPLES: lambda c: _fit_subject("Reminder: offer a work sample – ", None, c["company"]),
}


def has_subject_rule(kind: FollowUpKind) -> bool:
    return kind in _SUBJECT_RULES


def _fit_subject(prefix: str, role: str | None, company: str, *, joiner: str = " at ") -> str:
    """`prefix` + 'role at company' in SUBJECT_MAX characters, shortening the longer part at word boundaries."""
    room = SUBJECT_MAX - len(prefix)
    if role is None:
        subject = prefix + _shorten(company, room)
    elif len(role) + len(joiner) + len(company) <= room:
        subject = f"{prefix}{role}{joiner}{company}"
    else:
        pair_room = room - len(joiner)
        # The role says what the mail is about: it keeps at least two thirds of the room it needs.
        short_role = _shorten(role, max(pair_room - len(company), (pair_room * 2) // 3))
        company_room = pair_room - len(short_role)
        if company_room < 8:  # a stub of a company name reads worse than none
            subject = prefix + _shorten(role, room)
        else:
            subject = f"{prefix}{short_role}{joiner}{_shorten(company, company_room)}"
    # Headers: whatever reached this point, no line break and never over the limit.
    return _shorten(_clean(subject), SUBJECT_MAX)
