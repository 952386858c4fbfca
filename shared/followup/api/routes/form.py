"""The web form (`GET/POST /form`, `GET /form/done/{id}`), served by ApiFunction so it works on AWS too.

A person types an interview into plain HTML (one small script, not needed: it fills empty time zones from the
browser, `BROWSER_ZONE_SCRIPT`); the form posts `application/x-www-form-urlencoded`,
is turned into the interview document (README "The HTTP API") and validated by the same pydantic model as the
JSON API. Invalid input re-renders the form with each error beside its field and every typed value kept; valid
input is submitted like `POST /interviews` and answered with a 303 to a page listing the plan. A "Preview" button
renders the messages without scheduling anything. The form key (an SSM SecureString) guards every page.

Each rendered form carries a one-time token (hidden field `form_token`): its submission goes through the same
idempotency store as `Idempotency-Key`, so a form posted twice (a double click, the browser's resubmit, Back and
submit again, even edited) lands on the plan of its first submission; a form filled in again by hand gets a new token
and meets the natural key instead (one interview per candidate + company + position + end).

Why one module of this length: the form's fields, their mapping to the interview document and the error
placement change together; splitting them would scatter one form across three files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo, available_timezones

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from followup.api.errors import ApiError
from followup.api.services import services
from followup.api.wording import local_time, outcome_words, status_words
from followup.core import clock
from followup.core.credentials import form_key_candidate
from followup.core.text import parse_instant

if TYPE_CHECKING:
    from jinja2 import Environment
from followup.domain.candidates import (
    CANDIDATE_SECTION_FIELDS,
    DEFAULT_CANDIDATE,
    may_belong_to,
    with_profile_defaults,
)
from followup.domain.kinds import UnknownKindError, spec
from followup.domain.models import InterviewRequest

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

INTERVIEWER_SLOTS = 6
FORM_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HTML = "text/html; charset=utf-8"
_INTERVIEWER_FIELDS = (
    "name", "salutation", "email", "title", "timezone", "topics", "linkedin_url", "mailing_address", "country",
    "subdivision",
)  # fmt: skip


# Where an error about a whole object is shown: beside the field a person would change.
_OBJECT_ERROR_FIELDS = {
    "candidate": "candidate.name",
    "company": "company.name",
    "position": "position.title",
    "interview": "interview.started_at",
    "preferences.send_window": "preferences.send_window.start",
}


# -- rendering ----------------------------------------------------------------------------------------------------


@cache
def _environment() -> Environment:
    # Imported on the first form request, not at cold start: JSON requests never pay for it.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # Its own environment, apart from the message templates: everything autoescaped, nothing undefined passes.
    environment = Environment(
        loader=PackageLoader("followup.api", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.globals["field_id"] = field_id
    environment.globals["error_target"] = error_target
    environment.globals["field_label"] = field_label
    environment.globals["kind_label"] = lambda kind: spec(kind).label
    return environment


@cache
def known_zones() -> frozenset[str]:
    """Every IANA name this Python knows (read from disk once per cold start)."""
    return frozenset(available_timezones())


@cache
def timezone_names() -> tuple[str, ...]:
    """IANA names offered as suggestions in the time zone inputs."""
    return tuple(sorted(name for name in known_zones() if "/" in name and not name.startswith("Etc/")))


def field_id(name: str) -> str:
    """An HTML id for a form field name such as `interviewers[0].email` (labels and error links point at it)."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def error_target(name: str) -> str:
    """The id the error summary links to for an error on `name`: the control itself (the primary-contact radio of an
    interviewer), or the Interviewers fieldset for an error about the list as a whole."""
    match = re.match(r"^interviewers\[(\d+)\]\.primary_contact$", name)
    if match:
        return field_id(f"primary_contact-{match.group(1)}")
    return field_id(name)


_LISTED_TWICE = re.compile(r"^interviewer email '(?P<email>[^']+)' is listed twice$")


def place_list_errors(state: FormState) -> None:
    """Move an error the model reports about the interviewer list as a whole onto the field to change, when there
    is one: "listed twice" goes beside the second fieldset with that email (red border, summary link to it)."""
    kept: list[str] = []
    for message in state.errors.pop("interviewers", []):
        twice = _LISTED_TWICE.match(message)
        slots = [
            slot
            for slot in range(INTERVIEWER_SLOTS)
            if twice and state.values.get(f"interviewers[{slot}].email", "").strip().lower() == twice["email"]
        ]
        if len(slots) > 1:
            state.add_error(f"interviewers[{slots[-1]}].email", f"is listed twice (also Interviewer {slots[0] + 1})")
        else:
            kept.append(message)
    if kept:
        state.errors["interviewers"] = kept


# The labels a person sees on the form, for the error summary at its top.
FIELD_LABELS = {
    "candidate.name": "Your name",
    "candidate.email": "Your email",
    "candidate.timezone": "Your time zone",
    "candidate.signature": "Signature",
    "company.name": "Company",
    "company.timezone": "Company time zone",
    "company.country": "Company country",
    "position.title": "Position",
    "interview.stage": "Stage",
    "interview.format": "Format",
    "interview.started_at": "Started",
    "interview.ended_at": "Ended",
    "interview_timezone": "Time zone of the interview times",
    "highlights.skills": "Skills to mention",
    "highlights.experience": "Relevant experience",
    "highlights.why_fit": "Why you fit the role",
    "next_steps.decision_expected_by": "Decision expected by",
    "next_steps.notes": "Notes",
    "preferences.tone": "Tone",
    "preferences.mode": "Mode",
    "preferences.max_follow_ups": "Follow-ups after the thank-you",
    "preferences.send_window.start": "Send no earlier than",
    "preferences.send_window.end": "Send no later than",
    "preferences.work_samples": "Work samples",
}
_INTERVIEWER_LABELS = {
    "name": "name",
    "email": "email",
    "title": "job title",
    "timezone": "time zone",
    "topics": "what you discussed",
    "linkedin_url": "LinkedIn profile",
    "mailing_address": "mailing address",
    "primary_contact": "primary contact",
}


def field_label(name: str) -> str:
    """A readable name for a form field in the error summary: `interviewers[1].email` → `Interviewer 2: email`."""
    match = re.match(r"^interviewers\[(\d+)\]\.?(.*)$", name)
    if match:
        rest = _INTERVIEWER_LABELS.get(match.group(2), match.group(2).replace("_", " ")) or "details"
        return f"Interviewer {int(match.group(1)) + 1}: {rest}"
    return FIELD_LABELS.get(name, name.replace("_", " ").replace(".", ": "))


# The form's only script, for a form just opened: each time zone field still empty gets the browser's zone when the
# list offers it (`Intl` gives an IANA name). Without JavaScript the fields stay empty and the server's defaults
# apply (the candidate's zone ← the company's ← UTC). Not on a form sent back (422, preview): there a blank field is
# what the person submitted. Allowed by its hash in the CSP: no other script runs.
BROWSER_ZONE_SCRIPT = """
(function () {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { return; }
  var list = document.getElementById("zones");
  if (!zone || !list) { return; }
  var offered = Array.prototype.some.call(list.options, function (option) { return option.value === zone; });
  if (!offered) { return; }
  ["f-candidate-timezone", "f-company-timezone", "f-interview-timezone"].forEach(function (id) {
    var field = document.getElementById(id);
    if (!field || field.value) { return; }
    field.value = zone;
    var hint = document.getElementById(id + "-hint");
    if (hint) { hint.textContent += " Filled in from this browser's time zone."; }
  });
})();
"""
SCRIPT_SOURCES = "'sha256-" + base64.b64encode(hashlib.sha256(BROWSER_ZONE_SCRIPT.encode()).digest()).decode() + "'"

# How the pages may be cached. `no-store` (the default) for every page that is not the form itself: the plan page (live
# statuses), the key's 403, the one-click pages (`link_actions`), the 303 after a submission.
NO_STORE = "no-store"
# The form page — the empty form and its re-renders after a 422 or a preview — may sit in the browser's own cache,
# revalidated before reuse: `no-store` there made Back lose what was typed (Back to the answer of a POST is
# ERR_CACHE_MISS / "Confirm Form Resubmission" without a stored copy; the empty form came back with a new one-time
# token). Why this is safe: `private` keeps it out of every shared cache (proxies, CDNs); the form key it carries is
# in its URL anyway (so in the browser's history whatever this header says), and the personal details it shows after
# a 422 are what this person typed into this browser. What must never be stored anywhere — the secrets of
# `POST /candidates` — stays `no-store` (`routes/candidates`).
FORM_PAGE_CACHE = "private, no-cache"


def render_page(template: str, status: int = 200, cache_control: str = NO_STORE, **context: Any) -> Response[str]:
    """One HTML page from templates/web, autoescaped."""
    body = _environment().get_template(template).render(**context)
    return Response(
        status_code=status,
        content_type=HTML,
        body=body,
        headers={
            "Cache-Control": cache_control,
            # Pages carry the form key in links: never leak it through Referer, never frame the form.
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": f"default-src 'none'; script-src {SCRIPT_SOURCES}; style-src 'unsafe-inline'; "
            "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        },
    )


def _message_page(status: int, title: str, message: str) -> Response[str]:
    return render_page("message.html.j2", status, title=title, message=message)


# -- the form key ---------------------------------------------------------------------------------------------------


def _form_key() -> str:
    deps = services()
    return deps.secrets.get(deps.settings.form_key_parameter)


def form_owner(given: str | None) -> str | None:
    """The candidate a form key belongs to: the default one (the form key from SSM) or a created candidate (their
    derived key, `followup.core.credentials`); None when it is nobody's. Constant-time comparisons."""
    if not given:
        return None
    if hmac.compare_digest(given.encode("utf-8", "surrogatepass"), _form_key().encode()):
        return DEFAULT_CANDIDATE
    candidate_id = form_key_candidate(given)
    if candidate_id is None:
        return None
    expected = services().keyring().candidate_form_key(candidate_id)
    if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
        return None
    return candidate_id


def key_is_valid(given: str | None) -> bool:
    return form_owner(given) is not None


def _profile(owner: str) -> dict[str, Any]:
    """A created candidate's profile (what their form starts from and completes with); empty for the default one."""
    if owner == DEFAULT_CANDIDATE:
        return {}
    record = services().keyring().candidate(owner)
    return dict(record.profile) if record is not None else {}


def profile_values(profile: dict[str, Any]) -> dict[str, str]:
    """The form's starting values from a profile, by form field name."""
    values = {f"candidate.{name}": str(profile[name]) for name in CANDIDATE_SECTION_FIELDS if profile.get(name)}
    for name in ("tone", "mode"):
        if profile.get(name):
            values[f"preferences.{name}"] = str(profile[name])
    window = profile.get("send_window") or {}
    for end in ("start", "end"):
        if window.get(end):
            values[f"preferences.send_window.{end}"] = str(window[end])
    return values


def _forbidden() -> Response[str]:
    return _message_page(
        403,
        "This form needs its key",
        "Open the form with the link you were given (it ends in ?key=…). "
        "On the local stack, `make run` prints it; on AWS, append ?key= with the FormKeyParameterName value.",
    )


# -- form values → InterviewRequest ----------------------------------------------------------------------------------


@dataclass
class FormState:
    """What the person typed, and the errors to show beside each field (by form field name)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Advice shown beside a field that was accepted but partly left out of the messages (a topic written as a note).
    notes: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def add_note(self, name: str, message: str) -> None:
        self.notes.setdefault(name, []).append(message)


def _text(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(name, "").strip()
    return value or None


def _lines(values: Mapping[str, str], name: str) -> list[str]:
    return [line.strip() for line in values.get(name, "").splitlines() if line.strip()]


def _compact(section: dict[str, Any]) -> dict[str, Any]:
    """Drop blank optional fields so the model's documented defaults apply."""
    return {key: value for key, value in section.items() if value is not None and value != []}


def _instant(raw: str | None, zone_name: str | None, state: FormState) -> str | None:
    """A `datetime-local` value (no offset) read in the interview's time zone; a typed offset is kept as given."""
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # the model reports it beside the field
    if parsed.tzinfo is not None:
        return raw
    zone = ZoneInfo("UTC")
    if zone_name:
        if zone_name not in known_zones():
            state.add_error("interview_timezone", "must be an IANA timezone name such as 'Europe/London'")
            return raw
        zone = ZoneInfo(zone_name)
    return parsed.replace(tzinfo=zone).isoformat()


def interview_document(state: FormState) -> tuple[dict[str, Any], list[int]]:
    """The interview document built from the form, and which interviewer fieldset each list entry came from."""
    values = state.values
    company_zone = _text(values, "company.timezone")
    candidate_zone = _text(values, "candidate.timezone")
    # A typed zone for the times is checked beside its own field; when it is blank, the company's (else the
    # candidate's) is used — an invalid one of those is reported beside that field only, and the times are read in UTC
    # meanwhile (the form comes back anyway), so a blank field is never marked wrong.
    interview_zone = _text(values, "interview_timezone") or next(
        (zone for zone in (company_zone, candidate_zone) if zone in known_zones()), None
    )
    signature = values.get("candidate.signature", "").strip().replace("\r\n", "\n")
    document: dict[str, Any] = {
        "candidate": _compact(
            {
                "name": _text(values, "candidate.name"),
                "preferred_name": _text(values, "candidate.preferred_name"),
                "email": _text(values, "candidate.email"),
                "timezone": candidate_zone,
                "country": _text(values, "candidate.country"),
                "subdivision": _text(values, "candidate.subdivision"),
                "signature": signature or None,
            }
        ),
        "company": _compact(
            {
                "name": _text(values, "company.name"),
                "short_name": _text(values, "company.short_name"),
                "timezone": company_zone,
                "country": _text(values, "company.country"),
                "subdivision": _text(values, "company.subdivision"),
            }
        ),
        "position": _compact(
            {"title": _text(values, "position.title"), "short_title": _text(values, "position.short_title")}
        ),
        "interview": _compact(
            {
                "stage": _text(values, "interview.stage"),
                "format": _text(values, "interview.format"),
                "started_at": _instant(_text(values, "interview.started_at"), interview_zone, state),
                "ended_at": _instant(_text(values, "interview.ended_at"), interview_zone, state),
            }
        ),
    }
    interviewers: list[dict[str, Any]] = []
    slots: list[int] = []
    primary = values.get("primary_contact", "")
    for slot in range(INTERVIEWER_SLOTS):
        prefix = f"interviewers[{slot}]."
        if not any(values.get(prefix + name, "").strip() for name in _INTERVIEWER_FIELDS):
            continue  # an empty fieldset is not an interviewer
        interviewers.append(
            _compact(
                {
                    "name": _text(values, prefix + "name"),
                    "salutation": _text(values, prefix + "salutation"),
                    "email": _text(values, prefix + "email"),
                    "country": _text(values, prefix + "country"),
                    "subdivision": _text(values, prefix + "subdivision"),
                    "title": _text(values, prefix + "title"),
                    "primary_contact": primary == str(slot),
                    "timezone": _text(values, prefix + "timezone"),
                    "topics": _lines(values, prefix + "topics"),
                    "linkedin_url": _text(values, prefix + "linkedin_url"),
                    "mailing_address": _text(values, prefix + "mailing_address"),
                }
            )
        )
        slots.append(slot)
    document["interviewers"] = interviewers
    document["highlights"] = _compact(
        {
            "skills": _lines(values, "highlights.skills"),
            "achievements": _lines(values, "highlights.achievements"),
            "experience": _text(values, "highlights.experience"),
            "why_fit": _text(values, "highlights.why_fit"),
        }
    )
    document["next_steps"] = _compact(
        {
            "decision_expected_by": _text(values, "next_steps.decision_expected_by"),
            "notes": _text(values, "next_steps.notes"),
        }
    )
    window = _compact(
        {
            "start": _text(values, "preferences.send_window.start"),
            "end": _text(values, "preferences.send_window.end"),
        }
    )
    document["preferences"] = _compact(
        {
            "tone": _text(values, "preferences.tone"),
            "mode": _text(values, "preferences.mode"),
            "max_follow_ups": _text(values, "preferences.max_follow_ups"),
            "send_window": window or None,
            "handwritten_note": values.get("preferences.handwritten_note") == "on",
            "linkedin": values.get("preferences.linkedin") == "on",
            "work_samples": _lines(values, "preferences.work_samples"),
        }
    )
    return document, slots


def _error_message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "is required"
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def error_field(loc: tuple[Any, ...], slots: list[int]) -> str:
    """The form field an error's location belongs to (list items map to their textarea, entries to fieldsets)."""
    parts: list[str] = []
    index = 0
    while index < len(loc):
        part = loc[index]
        if part == "interviewers" and index + 1 < len(loc) and isinstance(loc[index + 1], int):
            position = int(loc[index + 1])
            slot = slots[position] if position < len(slots) else position
            parts.append(f"interviewers[{slot}]")
            index += 2
            continue
        if isinstance(part, int):
            break  # one line of a one-per-line textarea: the textarea itself
        parts.append(str(part))
        index += 1
    name = ".".join(parts)
    if name == "interviewers" and not slots:
        return "interviewers[0].name"
    return _OBJECT_ERROR_FIELDS.get(name, name)


def validate_form(state: FormState, profile: dict[str, Any] | None = None) -> InterviewRequest | None:
    """The validated request, or None with `state.errors` filled in. A created candidate's `profile` completes what
    the form leaves out, and its email is theirs whatever the form says."""
    document, slots = interview_document(state)
    if profile:
        document = with_profile_defaults(document, profile)
    try:
        request = InterviewRequest.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            message = _error_message(error)
            if loc == ("interviewers",) and not slots:
                message = "add at least one interviewer with a name and an email"
            state.add_error(error_field(loc, slots), message)
        return None
    from followup.api.limits import far_future_problems

    for problem in far_future_problems(request, clock.now()):
        state.add_error(problem.field, problem.message)
    if state.errors:
        return None
    return request


# -- views ----------------------------------------------------------------------------------------------------------


def _parse_instant(value: str) -> datetime:
    return parse_instant(value)


def _note_input_warnings(state: FormState, request: InterviewRequest) -> None:
    """Each input warning ("interviewers[0].topics[1]: left out — …") beside the form field it is about."""
    from followup.messages.intake import input_warnings

    _, slots = interview_document(state)
    for warning in input_warnings(request):
        path, _, message = warning.partition(": ")
        match = re.match(r"^interviewers\[(\d+)\]\.(\w+)", path)
        if match and int(match.group(1)) < len(slots):
            name = f"interviewers[{slots[int(match.group(1))]}].{match.group(2)}"
        else:
            name = re.sub(r"\[\d+\]$", "", path)
        state.add_note(name, message)


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


def _form_page(
    state: FormState,
    key: str,
    status: int = 200,
    preview: dict[str, Any] | None = None,
    token: str | None = None,
    *,
    fresh: bool = False,
) -> Response[str]:
    """The form; `fresh` when just opened (not sent back), the only time empty time zones come from the browser."""
    from markupsafe import Markup

    return render_page(
        "form.html.j2",
        status,
        FORM_PAGE_CACHE,
        values=state.values,
        errors=state.errors,
        notes=state.notes,
        key=key,
        form_token=token or new_form_token(),
        slots=range(INTERVIEWER_SLOTS),
        zones=timezone_names(),
        preview=preview,
        zone_script=Markup(BROWSER_ZONE_SCRIPT) if fresh else None,  # noqa: S704 - this module's constant
    )


def _preview_context(request: InterviewRequest) -> dict[str, Any]:
    from followup.api.views import preview_interview

    result = preview_interview(request, clock.now(), services().templates)
    candidate_zone = request.candidate_timezone()
    zones = {item.id: item.timezone for item in _plan_zones(request)}
    messages = []
    for message in result["follow_ups"]:
        due = _parse_instant(message["due_at"])
        zone = zones.get(message["id"], candidate_zone)
        messages.append(
            {
                **message,
                "recipient_time": local_time(due, zone),
                "recipient_zone": zone,
                "candidate_time": local_time(due, candidate_zone),
            }
        )
    return {"messages": messages, "warnings": result["warnings"], "candidate_zone": candidate_zone}


def _plan_zones(request: InterviewRequest) -> list[Any]:
    from followup.domain.cadence import plan_follow_ups

    return list(plan_follow_ups(request, clock.now()).follow_ups)


@router.get("/form", include_in_schema=False)
def show_form():  # type: ignore[no-untyped-def]
    key = router.current_event.get_query_string_value("key")
    owner = form_owner(key)
    if owner is None:
        return _forbidden()
    return _form_page(FormState(values=profile_values(_profile(owner))), key or "", fresh=True)


@router.post("/form", include_in_schema=False)
def submit_form():  # type: ignore[no-untyped-def]
    values = dict(parse_qsl(router.current_event.decoded_body or "", keep_blank_values=True))
    key = values.pop("key", "")
    owner = form_owner(key)
    if owner is None:
        return _forbidden()
    action = values.pop("action", "submit")
    token = values.pop("form_token", "")
    token = token if FORM_TOKEN.match(token) else new_form_token()  # a page from before tokens: a fresh one
    state = FormState(values=values)
    request = validate_form(state, _profile(owner))
    if request is None:
        place_list_errors(state)
        return _form_page(state, key, status=422, token=token)
    if action == "preview":
        _note_input_warnings(state, request)
        return _form_page(state, key, preview=_preview_context(request), token=token)
    deps = services()
    # The token's first submission is the answer to every later one (the fingerprint is the token's, not the body's);
    # an Idempotency-Key header cannot hold a space, so `form <token>` never meets a client's own key.
    try:
        answer = deps.submit_once(
            key=f"form {token}",
            fingerprint="form-token",
            document=request.to_document(),
            context=router.lambda_context,
            owner=owner,
        )
    except ApiError as exc:
        if exc.status != 429:
            raise
        refused = _message_page(429, "Today's limit is reached", exc.message)
        refused.headers.update(exc.headers)
        return refused
    location = f"/form/done/{answer['interview_id']}?key={quote(key, safe='')}"
    return Response(
        status_code=303,
        content_type=HTML,
        body=f'<a href="{location}">See the plan</a>',
        headers={"Location": location, "Cache-Control": NO_STORE, "Referrer-Policy": "no-referrer"},
    )


def _skipped_step_words(detail: str) -> str:
    """`reminder_linkedin: No interviewer has…` → `Reminder: LinkedIn — No interviewer has…`."""
    kind, _, why = detail.partition(": ")
    try:
        return f"{spec(kind).label} — {why}" if why else detail
    except UnknownKindError:
        return detail


@router.get("/form/done/<id>", include_in_schema=False)
def show_plan(id: str):  # type: ignore[no-untyped-def]

    key = router.current_event.get_query_string_value("key")
    owner = form_owner(key)
    if owner is None:
        return _forbidden()
    if not may_belong_to(id, owner):  # another candidate's, or made up
        return _message_page(404, "No such plan", "This link does not lead to one of your interviews.")
    bundle = services().table.load_interview(id)
    if bundle is not None and bundle.owner != owner:
        return _message_page(404, "No such plan", "This link does not lead to one of your interviews.")
    if bundle is None:
        return _message_page(
            404,
            "No plan for this interview yet",
            "If you have just submitted it, it is still being planned: reload this page in a few seconds.",
        )
    document = bundle.interview["document"]
    request = InterviewRequest.model_validate(document)
    candidate_zone = request.candidate_timezone()
    from followup.api.views import timing_by_follow_up

    timings = timing_by_follow_up(bundle)
    follow_ups = [
        {
            "id": record.follow_up_id,
            "kind": record.kind,
            "to": record.to,
            "to_name": record.to_name,
            "status": record.status,
            "status_words": status_words(record.status, record.reason),
            "recipient_zone": record.timezone,
            "recipient_time": local_time(_parse_instant(record.due_at), record.timezone),
            "candidate_time": local_time(_parse_instant(record.due_at), candidate_zone),
            "reason": record.reason,
            "timing": timings.get(record.follow_up_id),
        }
        for record in bundle.follow_ups
    ]
    # The planner's skipped steps ("<kind>: <why>"); a draft skipped with its link is in the table, in words.
    notes = [
        _skipped_step_words(str(entry["detail"]))
        for entry in bundle.timeline
        if entry["event"] == "skipped" and not entry.get("follow_up_id")
    ]
    outcome = bundle.interview.get("outcome")
    return render_page(
        "done.html.j2",
        interview_id=id,
        outcome=outcome_words(str(outcome)) if outcome else None,
        request=request,
        follow_ups=follow_ups,
        notes=notes,
        candidate_zone=candidate_zone,
        key=key or "",
    )
