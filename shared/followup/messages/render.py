"""Render a planned follow-up into the subject, plain text and HTML of one email.

One Jinja2 body template per kind and tone writes the message as plain-text paragraphs; `layout.html.j2`
(autoescaped) turns those same paragraphs into HTML, so the two parts can never say different things.
Everything the candidate submitted reaches the templates as data only, never as template source: the context
(`followup.messages.context`) has already normalised each value to the grammatical kind of its slot, and the
subject comes from `followup.messages.subjects`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from followup.core.text import LINE_BREAKS
from followup.domain.kinds import KINDS, FollowUpKind
from followup.domain.models import InterviewRequest, PlannedFollowUp
from followup.messages.context import TEMPLATE_VARIABLES, VARIANTS, addressee, clean, template_context
from followup.messages.subjects import SUBJECT_MAX, has_subject_rule, subject_for

if TYPE_CHECKING:
    from jinja2 import Environment, Template

__all__ = [
    "LINKEDIN_NOTE_MAX",
    "SUBJECT_MAX",
    "TEMPLATE_VARIABLES",
    "VARIANTS",
    "WORD_LIMITS",
    "RenderedMessage",
    "TemplateSet",
    "addressee",
    "configure_environment",
    "has_subject_rule",
    "render_follow_up",
    "subject_line",
    "word_count",
]


class TemplateSet(Protocol):
    """Templates that replace the built-in ones (`followup.messages.custom_templates.TemplateSet` is one)."""

    @property
    def environment(self) -> Environment: ...

    def body_template_names(self, kind: FollowUpKind, tone: str) -> list[str]: ...

    def render_subject(self, kind: FollowUpKind, tone: str, context: Mapping[str, Any]) -> str | None: ...


# Jinja2 is imported where an environment is built (the first render), not at import: modules that import this one
# for its constants and helpers do not pay for it, and the sender pays it at its first render, not in its init.

LINKEDIN_NOTE_MAX = 300  # LinkedIn's limit for a connection-request note
WORD_LIMITS: Mapping[FollowUpKind, int] = {
    kind: spec.word_limit for kind, spec in KINDS.items() if spec.word_limit is not None
}
# How far a template may be asked to shorten itself (`trim`): boilerplate first, specifics last.
MAX_TRIM = 4

# Templates mark a hard line break with this character: a single newline in a template only wraps the source,
# so sentences can sit on their own lines there. Data never carries it (see `context.clean`).
LINE_BREAK = "\u2028"

_ACTION_LABELS = {
    "approve": "Approve and send",
    "skip": "Skip this message",
    "stop": "Stop all follow-ups",
    "done": "Mark as done",
    "edit": "Edit before sending",
    "manage": "See, change or stop all your follow-ups",
}
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
    environment: Environment
    if templates is not None:
        environment, names = templates.environment, templates.body_template_names(kind, tone)
    else:
        environment, names = _environment(), [f"{kind.value}/{tone}.txt.j2", f"{kind.value}/any.txt.j2"]
    context, paragraphs = _render_body(request, follow_up, kind, environment.select_template(names))
    text, html = _both_parts(paragraphs, links)
    subject = None
    if templates is not None:
        subject = templates.render_subject(kind, tone, context)
    if subject is None:
        subject = subject_for(kind, context)
    return RenderedMessage(subject=subject, text=text + "\n", html=html)


def render_edited(subject: str, text: str, *, links: Mapping[str, str] | None = None) -> RenderedMessage:
    """A message as the candidate edited it in the control panel: their words exactly (paragraphs split at blank
    lines, line breaks kept), in the same HTML layout, with the same action links as a rendered one."""
    paragraphs = [
        [line.strip() for line in block.split("\n") if line.strip()]
        for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip())
    ]
    text, html = _both_parts([lines for lines in paragraphs if lines], links)
    return RenderedMessage(subject=" ".join(subject.split()), text=text + "\n", html=html)


def _both_parts(paragraphs: list[list[str]], links: Mapping[str, str] | None) -> tuple[str, str]:
    """The text part and the HTML part of one message: the same paragraphs, then the same action links."""
    actions = _actions(links)
    text = "\n\n".join("\n".join(lines) for lines in paragraphs)
    if actions:
        text += "\n\nActions:\n" + "\n".join(f"{action['label']}: {action['url']}" for action in actions)
    html = (
        _environment()
        .get_template("layout.html.j2")
        .render(paragraphs=[[_link_segments(line) for line in lines] for lines in paragraphs], actions=actions)
    )
    return text, html


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
    environment.filters["lowerfirst"] = _lower_first
    environment.globals["br"] = LINE_BREAK
    return environment


def _autoescape() -> Callable[[str | None], bool]:
    # On for the HTML layout only: the text templates write plain text, which the layout escapes.
    from jinja2 import select_autoescape

    return select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False, default=False)


def _refuse_none(value: Any) -> Any:
    # StrictUndefined catches missing names; this catches a present-but-None value that would print "None".
    if value is None:
        raise TypeError("a template printed None: pass '' or guard the sentence with {% if %}")
    return value


def _render_body(
    request: InterviewRequest, follow_up: PlannedFollowUp, kind: FollowUpKind, template: Template
) -> tuple[dict[str, Any], list[list[str]]]:
    """The body within its kind's word limit: each `trim` level asks the template to drop the next least useful
    sentence — pleasantries first, the specifics (topic, proof, fit) last."""
    limit = WORD_LIMITS.get(kind)
    for trim in range(MAX_TRIM + 1):
        context = template_context(request, follow_up, trim=trim)
        if kind is FollowUpKind.REMINDER_LINKEDIN:
            for person in context["people"]:
                person["linkedin_note"] = _linkedin_note(context, person)
        paragraphs = _tidy(_render_bounded(template, context))
        if limit is None or _words(paragraphs) <= limit:
            break
    return context, paragraphs


# No message body is anywhere near this long; a custom template that loops into one is stopped as it renders.
MAX_RENDER_CHARS = 200_000


class RenderTooLong(RuntimeError):
    """A template produced more than MAX_RENDER_CHARS (a runaway loop in a custom template)."""


def _render_bounded(template: Template, context: Mapping[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_RENDER_CHARS:
            raise RenderTooLong(f"the template produced more than {MAX_RENDER_CHARS} characters")
        parts.append(chunk)
    return "".join(parts)


def _linkedin_note(context: Mapping[str, Any], person: Mapping[str, Any]) -> str:
    """A connection note within LinkedIn's 300 characters: the fullest version that fits, never a cut sentence."""
    template = _environment().get_template("reminder_linkedin/note.txt.j2")
    base = {
        "first_name": person["first_name"],
        "candidate_first_name": context["candidate_first_name"],
        "role": context["role"],
        "company": context["company"],
        "topic": person["topic"],
        "variant": person["variant"],
    }
    note = ""
    for attempt in (base, {**base, "topic": ""}, {**base, "topic": "", "role": "", "company": ""}):
        note = " ".join(" ".join(lines) for lines in _tidy(template.render(attempt)))
        if len(note) <= LINKEDIN_NOTE_MAX:
            return note
    return note[:LINKEDIN_NOTE_MAX]


def _words(paragraphs: list[list[str]]) -> int:
    return sum(word_count(line) for lines in paragraphs for line in lines)


def _tidy(rendered: str) -> list[list[str]]:
    """Split template output into paragraphs of lines, with no double spaces and no empty lines or paragraphs."""
    paragraphs: list[list[str]] = []
    for block in re.split(r"\n[ \t]*\n", rendered):
        lines = [_SPACES.sub(" ", line).strip() for line in block.replace("\n", " ").split(LINE_BREAK)]
        # A name ending in a full stop ("Brazos & Whitley, P.C.") before the sentence's own: one stop, not two.
        lines = [re.sub(r"(?<!\.)\.\.(?!\.)", ".", line) for line in lines]
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


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """'Led a team' → 'led a team', but 'AWS work' and 'I think' keep their capitals."""
    if not text:
        return text
    word = text.split()[0]
    if len(word) > 1 and word[0].isupper() and word[1:] == word[1:].lower() and not word.startswith(("I'", "I’")):
        return text[0].lower() + text[1:]
    return text


def _join_and(items: list[str]) -> str:
    """'A and B', 'A, B and C' — but 'A, as well as B and C' when an item has its own "and" (no "X and Y and Z")."""
    if len(items) <= 1:
        return "".join(items)
    if any(" and " in item for item in items):
        return f"{', '.join(items[:-1])}, as well as {items[-1]}"
    return f"{', '.join(items[:-1])} and {items[-1]}"


def subject_line(rendered: str) -> str:
    """A rendered custom subject made header-safe: one line, single spaces, at most SUBJECT_MAX characters, cut at a
    word boundary (never with an ellipsis)."""
    text = clean(rendered)
    if len(text) <= SUBJECT_MAX:
        return text
    cut = text[: SUBJECT_MAX + 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") if cut else text[:SUBJECT_MAX]
