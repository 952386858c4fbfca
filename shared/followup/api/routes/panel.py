"""The control panel (README "The control panel"): server-rendered pages where a candidate signs in by an emailed
link and sees and steers their own follow-ups — the same pages on AWS as on the local stack.

Sign-in, session and CSRF: `followup.api.panel`. Every page checks that the interview is the session's candidate's
(another candidate's is a 404 page, as if it did not exist); every POST checks the CSRF token first and changes
nothing without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from followup.adapters.records import FollowUpRecord, InterviewBundle
from followup.api import panel
from followup.api.routes.form import render_page
from followup.api.services import services
from followup.api.wording import status_words
from followup.core import clock
from followup.core.credentials import CredentialKind
from followup.core.signed import InvalidToken
from followup.core.text import CONTROL_CHARS, parse_instant
from followup.domain.candidates import CandidatePatch, CandidateProfile, is_default
from followup.domain.kinds import spec
from followup.domain.models import FollowUpStatus, InterviewRequest

if TYPE_CHECKING:
    from followup.messages.render import RenderedMessage

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

OUTCOME_WORDS = {
    "offer": "an offer",
    "hired": "hired",
    "rejected": "they said no",
    "withdrawn": "you withdrew",
    "heard_back": "you heard back",
}
STATUS_WORDS = {
    FollowUpStatus.SCHEDULED: "Scheduled",
    FollowUpStatus.AWAITING_APPROVAL: "Waiting for your approval",
    FollowUpStatus.SENDING: "Sending",
    FollowUpStatus.SENT: "Sent",
    FollowUpStatus.CANCELLED: "Stopped",
    FollowUpStatus.FAILED: "Not sent",
    FollowUpStatus.SUPPRESSED: "Not sent: the address refuses mail",
}
# What the page says after an action (a fixed word in the redirect, never text taken from the URL).
DONE_WORDS = {
    "outcome": "Recorded. Every message the outcome ends is stopped.",
    "date": "The decision date changed; the check-in and final note moved with it.",
    "approved": "Approved: it goes at the next good time for them.",
    "skipped": "Skipped: that message will not be sent.",
    "stopped": "Stopped: nothing more goes out for this interview.",
    "nothing": "Nothing changed: it was no longer waiting.",
    "paused": "Paused: nothing goes out until you resume.",
    "resumed": "Resumed: each message goes at its time, or at the next good time if that passed.",
}
_PAGE_DONE = {"Approved": "approved", "Skipped": "skipped", "Stopped": "stopped"}
SIGN_INS_PER_DAY = 10
PENDING = frozenset({FollowUpStatus.SCHEDULED, FollowUpStatus.AWAITING_APPROVAL})
# Settings fields: (name, label, input kind).
SETTINGS_FIELDS = (
    ("name", "Your full name", "text"),
    ("preferred_name", "The name you sign with", "text"),
    ("email", "Your email (you sign in with it; copies come to it)", "email"),
    ("timezone", "Your time zone (IANA, e.g. Europe/Paris)", "text"),
    ("country", "Your country (ISO code, e.g. FR)", "text"),
    ("subdivision", "Your region (ISO 3166-2 without the country, e.g. ON)", "text"),
    ("signature", "Signature", "textarea"),
    ("tone", "Tone", "select-tone"),
    ("mode", "Mode", "select-mode"),
)


# -- plumbing ---------------------------------------------------------------------------------------------------


def _secret() -> str:
    return services().keyring().signing_secret


def _secure() -> bool:
    from followup.api.routes.candidates import base_url

    return base_url().startswith("https://")


def _session() -> panel.Session | None:
    session = panel.session_from(_secret(), router.current_event.cookies, now=clock.now())
    if session is None:
        return None
    if not is_default(session.candidate_id) and services().keyring().candidate(session.candidate_id) is None:
        return None  # a deleted candidate's session ends with them
    return session


def _values() -> dict[str, str]:
    return dict(parse_qsl(router.current_event.decoded_body or "", keep_blank_values=True))


def _redirect(location: str, cookie: str | None = None) -> Response[str]:
    return Response(
        status_code=303,
        content_type="text/html; charset=utf-8",
        body=f'<a href="{quote(location, safe="/?=&")}">Continue</a>',
        headers={"Location": location, "Cache-Control": "no-store"},
        cookies=cast("list[Any]", [cookie] if cookie else []),
    )


def _message(status: int, title: str, message: str) -> Response[str]:
    return render_page("message.html.j2", status, title=title, message=message)


def _not_yours() -> Response[str]:
    return _message(404, "No such interview", "This page does not lead to one of your interviews.")


def _cross_site() -> Response[str] | None:
    """A POST another site's page sent (a browser says so in Sec-Fetch-Site, or an Origin not ours): refused, so
    nobody can sign a visitor in as someone else or act in their session from elsewhere."""
    from followup.api.routes.candidates import base_url

    headers = router.current_event.headers
    origin = (headers.get("origin") or "").rstrip("/")
    # Our pages say Referrer-Policy: no-referrer, so a browser sends `Origin: null` from them: not a verdict.
    foreign_origin = origin not in ("", "null") and origin != base_url()
    if headers.get("sec-fetch-site", "").lower() == "cross-site" or foreign_origin:
        return _message(403, "Open this from your own email or the panel", "Requests from other sites are refused.")
    return None


def _checked_post() -> tuple[panel.Session | None, dict[str, str], Response[str] | None]:
    """The session and form values of a POST, or the answer that refuses it (from another site, signed out, or
    without the CSRF token)."""
    refused = _cross_site()
    if refused is not None:
        return None, {}, refused
    session = _session()
    values = _values()
    if session is None:
        return None, values, _redirect("/panel")
    if not panel.csrf_valid(_secret(), session, values.get("csrf")):
        return (
            None,
            values,
            _message(403, "Please try again", "This form expired. Go back, reload the page, and send it again."),
        )
    return session, values, None


def _local(instant: str, zone: str) -> str:
    moment = parse_instant(instant).astimezone(ZoneInfo(zone))
    return moment.strftime("%a %d %b %Y, %H:%M ") + (moment.tzname() or zone)


# -- sign-in ------------------------------------------------------------------------------------------------------


@router.get("/panel", include_in_schema=False)
def panel_home():  # type: ignore[no-untyped-def]
    session = _session()
    if session is None:
        return render_page("panel/sign_in.html.j2")
    deps = services()
    cursor = router.current_event.get_query_string_value("cursor") or None
    from followup.adapters.candidates import InvalidCursor

    try:
        page = deps.candidates.list_interviews(session.candidate_id, limit=20, cursor=cursor)
    except InvalidCursor:
        page = deps.candidates.list_interviews(session.candidate_id, limit=20, cursor=None)
    record = deps.keyring().candidate(session.candidate_id)
    own_zone = (record.profile if record else {}).get("timezone")
    rows = []
    for row in page.interviews:
        # The profile's zone; the default candidate has no profile: the zone their interview gave.
        zone = str(own_zone or row.candidate_timezone or "UTC")
        if row.status == "closed":
            words = f"Stopped: {OUTCOME_WORDS.get(row.outcome or '', row.outcome or 'closed')}"
        elif row.status == "planning":
            words = "Being planned: reload in a few seconds"
        elif row.status == "paused":
            words = "Paused: nothing goes out until you resume"
        elif row.next_due_at:
            words = f"Next message: {_local(row.next_due_at, zone)}"
        else:
            words = "Nothing left to send"
        rows.append(
            {"interview_id": row.interview_id, "company": row.company, "position": row.position, "state_words": words}
        )
    return render_page(
        "panel/list.html.j2",
        rows=rows,
        next_cursor=page.next_cursor,
        csrf=panel.csrf_token(_secret(), session),
        form_url=_form_url(session.candidate_id),
    )


def _form_url(candidate_id: str) -> str:
    ring = services().keyring()
    if is_default(candidate_id):
        key = ring.default_form_key()
    else:
        key = ring.credential(candidate_id, CredentialKind.FORM_KEY) or ""
    return f"/form?key={quote(key, safe='')}"


@router.post("/panel/sign-in", include_in_schema=False)
def request_sign_in():  # type: ignore[no-untyped-def]
    refused = _cross_site()
    if refused is not None:
        return refused
    email = _values().get("email", "").strip()
    deps = services()
    candidate_id = deps.candidates.by_email(email) if 3 <= len(email) <= 254 and "@" in email else None
    now = clock.now()
    if (
        candidate_id is not None
        and deps.keyring().candidate(candidate_id) is not None
        # At most SIGN_INS_PER_DAY links a day: nobody can flood a candidate's inbox (or the SES reputation).
        and deps.candidates.count_sign_in(candidate_id, day=now.date().isoformat(), most=SIGN_INS_PER_DAY, now=now)
    ):
        _send_sign_in(candidate_id, email)
    # The same answer whether or not the address has an account: the page never tells who is a candidate.
    return _message(
        200,
        "Check your email",
        "If this address has an account, a sign-in link is on its way. It works once, for 15 minutes.",
    )


def _send_sign_in(candidate_id: str, email: str) -> None:
    from followup.adapters.ses import EmailSender, OutgoingEmail
    from followup.api.routes.candidates import base_url
    from followup.core import aws

    settings = services().settings
    token = panel.sign_in_token(_secret(), candidate_id, now=clock.now())
    link = f"{base_url()}/panel/in/{token}"
    text = (
        "Here is your link to sign in to your interview follow-ups:\n\n"
        f"{link}\n\n"
        "It works once, for 15 minutes. If you did not ask for it, ignore this email: nothing happens without it."
    )
    html = (
        "<p>Here is your link to sign in to your interview follow-ups:</p>"
        f'<p><a href="{link}">Sign in</a></p>'
        "<p>It works once, for 15 minutes. If you did not ask for it, ignore this email: "
        "nothing happens without it.</p>"
    )
    sender = EmailSender(aws.client("sesv2"), settings.ses_configuration_set)
    sender.send(
        OutgoingEmail(
            from_address=f"{settings.sender_name} <{settings.sender_email}>",
            to=[email],
            subject="Your sign-in link",
            text=text,
            html=html,
            tags={"purpose": "sign-in"},
        )
    )


@router.get("/panel/in/<token>", include_in_schema=False)
def show_sign_in(token: str):  # type: ignore[no-untyped-def]
    try:
        sign_in = panel.read_sign_in(_secret(), token, now=clock.now())
    except InvalidToken as exc:
        return _message(403, "This sign-in link cannot be used", f"{exc}. Ask for a new one at /panel.")
    if services().candidates.sign_in_used(sign_in.nonce):
        return _message(403, "This sign-in link was already used", "Each link works once. Ask for a new one at /panel.")
    return render_page(
        "panel/confirm.html.j2",
        title="Sign in",
        message="Press the button to open your interview follow-ups on this device.",
        action=f"/panel/in/{token}",
        button="Sign in",
    )


@router.post("/panel/in/<token>", include_in_schema=False)
def use_sign_in(token: str):  # type: ignore[no-untyped-def]
    refused = _cross_site()
    if refused is not None:
        return refused
    now = clock.now()
    try:
        sign_in = panel.read_sign_in(_secret(), token, now=now)
    except InvalidToken as exc:
        return _message(403, "This sign-in link cannot be used", f"{exc}. Ask for a new one at /panel.")
    deps = services()
    if deps.keyring().candidate(sign_in.candidate_id) is None:
        return _message(403, "This sign-in link cannot be used", "The account it was for no longer exists.")
    expires = datetime.fromtimestamp(sign_in.expires_at, tz=now.tzinfo)
    if not deps.candidates.use_sign_in(sign_in.nonce, now=now, expires_at=expires):
        return _message(403, "This sign-in link was already used", "Each link works once. Ask for a new one at /panel.")
    cookie = panel.session_cookie(_secret(), sign_in.candidate_id, now=now, secure=_secure())
    return _redirect("/panel", cookie)


@router.get("/panel/m/<token>", include_in_schema=False)
def show_manage(token: str):  # type: ignore[no-untyped-def]
    try:
        panel.read_manage(_secret(), token, now=clock.now())
    except InvalidToken as exc:
        return _message(403, "This link cannot be used", f"{exc}. Ask for a sign-in link at /panel.")
    return render_page(
        "panel/confirm.html.j2",
        title="Your follow-ups",
        message="Press the button to see, change or stop the follow-ups of this interview on this device.",
        action=f"/panel/m/{token}",
        button="Open my follow-ups",
    )


@router.post("/panel/m/<token>", include_in_schema=False)
def use_manage(token: str):  # type: ignore[no-untyped-def]
    """A manage link opens a session for whoever the interview belongs to, on that interview (it reached them in
    their own draft or reminder; it works until it expires, like the one-click links beside it)."""
    refused = _cross_site()
    if refused is not None:
        return refused
    now = clock.now()
    try:
        interview_id = panel.read_manage(_secret(), token, now=now)
    except InvalidToken as exc:
        return _message(403, "This link cannot be used", f"{exc}. Ask for a sign-in link at /panel.")
    bundle = services().table.load_interview(interview_id)
    if bundle is None:
        return _message(404, "This interview is gone", "It was deleted; nothing more goes out for it.")
    owner = bundle.owner
    if not is_default(owner) and services().keyring().candidate(owner) is None:
        return _message(403, "This link cannot be used", "The account it was for no longer exists.")
    cookie = panel.session_cookie(_secret(), owner, now=now, secure=_secure())
    return _redirect(f"/panel/interviews/{interview_id}", cookie)


@router.post("/panel/sign-out", include_in_schema=False)
def sign_out():  # type: ignore[no-untyped-def]
    _, _, refused = _checked_post()
    if refused is not None:
        return refused
    return _redirect("/panel", panel.cleared_cookie(secure=_secure()))


# -- one interview ------------------------------------------------------------------------------------------------


def _owned(session: panel.Session, interview_id: str) -> InterviewBundle | None:
    from followup.domain.candidates import may_belong_to

    if not may_belong_to(interview_id, session.candidate_id):
        return None
    bundle = services().table.load_interview(interview_id)
    return bundle if bundle is not None and bundle.owner == session.candidate_id else None


@router.get("/panel/interviews/<id>", include_in_schema=False)
def show_interview(id: str):  # type: ignore[no-untyped-def]
    session = _session()
    if session is None:
        return _redirect("/panel")
    bundle = _owned(session, id)
    if bundle is None:
        return _not_yours()
    done = router.current_event.get_query_string_value("done") or ""
    return _interview_page(session, bundle, flash=DONE_WORDS.get(done, ""))


def _interview_page(session: panel.Session, bundle: InterviewBundle, flash: str = "") -> Response[str]:
    request = InterviewRequest.model_validate(bundle.interview["document"])
    own_zone = request.candidate_timezone()
    follow_ups = []
    for record in bundle.follow_ups:
        status = FollowUpStatus(record.status)
        words = STATUS_WORDS.get(status, str(status))
        if status == FollowUpStatus.SCHEDULED and record.paused_at:
            words = "Paused"
        if status in (FollowUpStatus.CANCELLED, FollowUpStatus.FAILED, FollowUpStatus.SUPPRESSED):
            ended_by = (record.reason or "").removeprefix("outcome: ") if status == FollowUpStatus.CANCELLED else ""
            # "Stopped: they said no", not "Stopped: outcome: rejected"
            words = (
                f"Stopped: {OUTCOME_WORDS[ended_by]}"
                if ended_by in OUTCOME_WORDS
                else status_words(record.status, record.reason)
            )
        subject = text = ""
        if status in PENDING or status == FollowUpStatus.SENT:
            message = _message_of(request, record)
            subject, text = message.subject, message.text
        theirs = _local(record.due_at, record.timezone)
        when = theirs if record.timezone == own_zone else f"{theirs} (for you: {_local(record.due_at, own_zone)})"
        follow_ups.append(
            {
                "id": record.follow_up_id,
                "label": spec(record.kind).label,
                "to": "you" if record.to.lower() == str(request.candidate.email).lower() else record.to,
                "to_name": "" if record.to.lower() == str(request.candidate.email).lower() else record.to_name,
                "when": when,
                "status_words": words,
                "subject": subject,
                "text": text,
                "editable": status in PENDING,
                "draft": status == FollowUpStatus.AWAITING_APPROVAL,
                "edited": bool(record.edited_text),
            }
        )
    outcome = bundle.interview.get("outcome")
    paused = any(record.paused_at and record.status == FollowUpStatus.SCHEDULED for record in bundle.follow_ups)
    if outcome:
        state_words = f"Stopped: {OUTCOME_WORDS.get(str(outcome), str(outcome))}"
    elif paused:
        state_words = "Paused: nothing goes out until you resume"
    elif any(FollowUpStatus(record.status) in PENDING for record in bundle.follow_ups):
        state_words = "Follow-ups are scheduled"
    else:
        state_words = "Nothing left to send"
    names = {
        record.follow_up_id: f"{spec(record.kind).label} to "
        + ("you" if record.to.lower() == str(request.candidate.email).lower() else record.to_name or record.to)
        for record in bundle.follow_ups
    }
    timeline = [
        {
            "at": entry["at"],
            "when": _local(entry["at"], own_zone),
            "event": str(entry["event"]).replace("_", " ").capitalize(),
            "detail": _readable(str(entry["detail"]), names),
        }
        for entry in bundle.timeline
    ]
    warnings = [
        _readable(str(entry["detail"]), names)
        for entry in bundle.timeline
        if entry["event"] in ("skipped", "timing") and entry["detail"]
    ]
    return render_page(
        "panel/interview.html.j2",
        interview_id=bundle.interview["interview_id"],
        company=request.company.name,
        position=request.position.title,
        state_words=state_words,
        follow_ups=follow_ups,
        timeline=timeline,
        warnings=warnings,
        flash=flash,
        open=not outcome and bundle.interview.get("status", "active") == "active",
        paused=paused,
        decision_expected_by=str(request.next_steps.decision_expected_by or ""),
        csrf=panel.csrf_token(_secret(), session),
    )


def _interview_post(interview_id: str) -> tuple[dict[str, str], InterviewBundle] | Response[str]:
    """The form values and the session's own interview of a POST on it, or the answer that refuses it."""
    session, values, refused = _checked_post()
    if refused is not None or session is None:
        return refused or _redirect("/panel")
    bundle = _owned(session, interview_id)
    if bundle is None:
        return _not_yours()
    return values, bundle


@router.post("/panel/interviews/<id>/outcome", include_in_schema=False)
def post_outcome(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import OutcomeRequest, record_outcome

    found = _interview_post(id)
    if isinstance(found, Response):
        return found
    values, bundle = found
    try:
        request = OutcomeRequest(outcome=values.get("outcome", ""))
    except ValidationError:
        return _message(422, "Choose an outcome", "Go back and press one of the outcome buttons.")
    deps = services()
    record_outcome(deps.table, deps.publisher, bundle, request, clock.now())
    return _redirect(f"/panel/interviews/{id}?done=outcome")


@router.post("/panel/interviews/<id>/decision-date", include_in_schema=False)
def post_decision_date(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import DecisionDateChange, change_decision_date

    found = _interview_post(id)
    if isinstance(found, Response):
        return found
    values, bundle = found
    try:
        change = DecisionDateChange(decision_expected_by=values.get("decision_expected_by", ""))
    except ValidationError:
        return _message(422, "Choose a date", "Go back and pick the date they expect to decide by.")
    deps = services()
    change_decision_date(deps.table, deps.publisher, bundle, change, clock.now())
    return _redirect(f"/panel/interviews/{id}?done=date")


def _readable(detail: str, names: dict[str, str]) -> str:
    """A timeline detail in words: follow-up ids (`thank_you-0: …`) become what they are (`Thank-you to Grace: …`)."""
    for follow_up_id in sorted(names, key=len, reverse=True):
        detail = re.sub(rf"(?<![\w-]){re.escape(follow_up_id)}(?![\w-])", names[follow_up_id], detail)
    return detail


# -- one message: the candidate's own wording -------------------------------------------------------------------

MAX_SUBJECT = 200
MAX_TEXT = 5000


def _message_of(request: InterviewRequest, record: FollowUpRecord) -> RenderedMessage:
    from followup.api.views import message_as_it_goes

    return message_as_it_goes(request, record, services().templates)


def _edit_page(
    session: panel.Session,
    bundle: InterviewBundle,
    record: FollowUpRecord,
    *,
    subject: str,
    text: str,
    errors: dict[str, str] | None = None,
    flash: str = "",
    status: int = 200,
) -> Response[str]:
    from followup.messages.lint import lint_message, recipients_working_day
    from followup.messages.render import render_edited

    request = InterviewRequest.model_validate(bundle.interview["document"])
    findings = (
        []
        if errors
        else lint_message(
            request, record.planned(), render_edited(subject, text), working_day=recipients_working_day(request)
        )
    )
    return render_page(
        "panel/edit.html.j2",
        status,
        interview_id=record.interview_id,
        follow_up_id=record.follow_up_id,
        company=request.company.name,
        label=spec(record.kind).label,
        to_name=record.to_name or record.to,
        when=_local(record.due_at, record.timezone),
        subject=subject,
        text=text,
        findings=findings,
        errors=errors or {},
        flash=flash,
        csrf=panel.csrf_token(_secret(), session),
    )


def _waiting(
    session: panel.Session, interview_id: str, follow_up_id: str
) -> tuple[InterviewBundle, FollowUpRecord] | None:
    from followup.workflow.lifecycle import find

    bundle = _owned(session, interview_id)
    record = find(bundle, follow_up_id) if bundle is not None else None
    return (bundle, record) if bundle is not None and record is not None else None


@router.get("/panel/interviews/<id>/messages/<follow_up_id>", include_in_schema=False)
def show_message(id: str, follow_up_id: str):  # type: ignore[no-untyped-def]
    session = _session()
    if session is None:
        return _redirect("/panel")
    found = _waiting(session, id, follow_up_id)
    if found is None:
        return _not_yours()
    bundle, record = found
    if FollowUpStatus(record.status) not in PENDING:
        return _message(409, "This message is no longer waiting", "It was sent or stopped; it cannot be changed now.")
    request = InterviewRequest.model_validate(bundle.interview["document"])
    message = _message_of(request, record)
    return _edit_page(session, bundle, record, subject=message.subject, text=message.text.strip())


@router.post("/panel/interviews/<id>/messages/<follow_up_id>", include_in_schema=False)
def save_message(id: str, follow_up_id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import expires_at

    session, values, refused = _checked_post()
    if refused is not None or session is None:
        return refused
    found = _waiting(session, id, follow_up_id)
    if found is None:
        return _not_yours()
    bundle, record = found
    subject = " ".join(values.get("subject", "").split())
    text = values.get("text", "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not subject or len(subject) > MAX_SUBJECT:
        errors["subject"] = f"write a subject of 1 to {MAX_SUBJECT} characters"
    if not text or len(text) > MAX_TEXT:
        errors["text"] = f"write the message (at most {MAX_TEXT} characters)"
    elif CONTROL_CHARS.search(text.replace("\n", "")):
        errors["text"] = "remove the control characters"
    if errors:
        return _edit_page(session, bundle, record, subject=subject, text=text, errors=errors, status=422)
    now = clock.now()
    if not services().table.edit_message(
        record, subject=subject, text=text, now=now, expires_at=expires_at(bundle, now)
    ):
        return _message(409, "This message is no longer waiting", "It was sent or stopped while you edited it.")
    return _edit_page(session, bundle, record, subject=subject, text=text, flash="Saved: this wording goes out.")


# -- drafts and stopping: the one-click actions, from the panel -------------------------------------------------


def _act(interview_id: str, follow_up_id: str, action: str) -> Response[str] | None:
    """Approve or skip a draft, or stop everything, as the emailed links do (the same single use per action)."""
    from datetime import timedelta

    from followup.api.link_actions import perform
    from followup.core.links import LinkAction, LinkClaim

    found = _interview_post(interview_id)
    if isinstance(found, Response):
        return found
    _, bundle = found
    now = clock.now()
    claim = LinkClaim(interview_id, follow_up_id, LinkAction(action), expires_at=now + timedelta(minutes=5))
    deps = services()
    page = perform(deps.table, deps.publisher, bundle, claim, now)
    return _redirect(f"/panel/interviews/{interview_id}?done={_PAGE_DONE.get(page.title, 'nothing')}")


@router.post("/panel/interviews/<id>/messages/<follow_up_id>/approve", include_in_schema=False)
def approve_draft(id: str, follow_up_id: str):  # type: ignore[no-untyped-def]
    return _act(id, follow_up_id, "approve")


@router.post("/panel/interviews/<id>/messages/<follow_up_id>/skip", include_in_schema=False)
def skip_message(id: str, follow_up_id: str):  # type: ignore[no-untyped-def]
    return _act(id, follow_up_id, "skip")


@router.post("/panel/interviews/<id>/pause", include_in_schema=False)
def pause_all(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import pause

    return _hold_or_release(id, lambda bundle: pause(services().table, bundle, clock.now()), "paused")


@router.post("/panel/interviews/<id>/resume", include_in_schema=False)
def resume_all(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import resume

    deps = services()
    return _hold_or_release(id, lambda bundle: resume(deps.table, deps.publisher, bundle, clock.now()), "resumed")


def _hold_or_release(interview_id: str, act: Callable[[InterviewBundle], list[str]], done: str) -> Response[str]:
    found = _interview_post(interview_id)
    if isinstance(found, Response):
        return found
    changed = act(found[1])
    return _redirect(f"/panel/interviews/{interview_id}?done={done if changed else 'nothing'}")


@router.post("/panel/interviews/<id>/stop", include_in_schema=False)
def stop_all(id: str):  # type: ignore[no-untyped-def]
    return _act(id, "panel", "stop")


# -- settings -----------------------------------------------------------------------------------------------------


@router.get("/panel/settings", include_in_schema=False)
def show_settings():  # type: ignore[no-untyped-def]
    session = _session()
    if session is None:
        return _redirect("/panel")
    if is_default(session.candidate_id):
        return _message(
            200,
            "Settings",
            "You use this deployment's own credentials, so there is no stored profile: each interview says who you "
            "are, how it should sound and when mail may go. Ask whoever runs it for an account to keep defaults here.",
        )
    record = services().keyring().candidate(session.candidate_id)
    profile = dict(record.profile) if record else {}
    return _settings_page(session, {k: str(v) for k, v in profile.items() if isinstance(v, str)}, {})


def _sender_words(session: panel.Session) -> str:
    """Whether mail goes from the candidate's own address (a verified SES identity, and the deployment allows it)."""
    from followup.adapters.ses import SenderIdentities
    from followup.core import aws

    settings = services().settings
    record = services().keyring().candidate(session.candidate_id)
    email = str((record.profile if record else {}).get("email") or "")
    deployment = settings.sender_email or "the deployment's sender address"
    if not email:
        return f"from {deployment} with each interview's name; replies go to the candidate's address."
    if not settings.send_from_candidates:
        return f"from {deployment} with your name (this deployment never sends as candidates); replies come to {email}."
    if SenderIdentities(lambda: aws.client("ses")).can_send_from(email):
        return f"from your own address, {email}: it is a verified sender. A copy of each comes to you."
    return (
        f"from {deployment} with your name, and replies come to {email}: your address is not a verified sender "
        "(ask whoever runs this service to verify it in SES, and mail will go from it)."
    )


def _settings_page(
    session: panel.Session, values: dict[str, str], errors: dict[str, str], flash: str = ""
) -> Response[str]:
    sender_words = _sender_words(session)
    return render_page(
        "panel/settings.html.j2",
        422 if errors else 200,
        fields=SETTINGS_FIELDS,
        values=values,
        errors=errors,
        flash=flash,
        sender_words=sender_words,
        csrf=panel.csrf_token(_secret(), session),
    )


@router.post("/panel/settings", include_in_schema=False)
def save_settings():  # type: ignore[no-untyped-def]
    from followup.adapters.candidates import EmailTaken

    session, values, refused = _checked_post()
    if refused is not None or session is None:
        return refused
    deps = services()
    record = deps.keyring().candidate(session.candidate_id)
    if record is None:
        return _redirect("/panel")
    given: dict[str, Any] = {name: (values.get(name, "").strip() or None) for name, _, _ in SETTINGS_FIELDS}
    typed = {name: values.get(name, "") for name, _, _ in SETTINGS_FIELDS}
    try:
        change = CandidatePatch.model_validate(given)
        merged = {**record.profile, **change.changes()}
        profile = CandidateProfile.model_validate({k: v for k, v in merged.items() if v is not None})
    except ValidationError as exc:
        errors = {
            str(error["loc"][0]) if error["loc"] else "name": str(error["msg"]).removeprefix("Value error, ")
            for error in exc.errors()
        }
        return _settings_page(session, typed, errors)
    try:
        deps.candidates.update_profile(
            session.candidate_id,
            profile.model_dump(mode="json", exclude_none=True),
            previous_email=str(record.profile.get("email", "")),
            now=clock.now(),
        )
    except EmailTaken:
        return _settings_page(session, typed, {"email": "another account signs in with this address"})
    return _settings_page(session, typed, {}, flash="Saved. New interviews start from these.")
