"""JSON views the API returns: an interview's state, and the preview of a plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from followup.adapters.records import FollowUpRecord, InterviewBundle
from followup.core.text import iso_utc, parse_instant
from followup.domain.cadence import plan_follow_ups
from followup.domain.models import InterviewRequest, PlannedFollowUp
from followup.messages.intake import input_warnings
from followup.messages.lint import findings_json, lint_plan
from followup.messages.render import RenderedMessage, TemplateSet, render_follow_up
from followup.workflow.submission import plan_warnings


def _local(instant: datetime, timezone: str) -> str:
    return instant.astimezone(ZoneInfo(timezone)).isoformat(timespec="minutes")


# Timeline events after which a follow-up's earlier timing reason no longer describes its due time.
_RETIMED = frozenset({"planned_late", "approved"})


def timing_by_follow_up(bundle: InterviewBundle) -> dict[str, str]:
    """Why each follow-up goes when it does, when not obvious, by follow-up id: the latest `timing` timeline entry
    the planner wrote for it ("<follow-up id>: <why>"; an empty why clears it), unless it was moved since (a late
    plan, an approval). For the interview view and the plan page."""
    timing: dict[str, str] = {}
    for entry in bundle.timeline:
        follow_up_id = entry.get("follow_up_id")
        if not follow_up_id:
            continue
        if entry["event"] == "timing":
            why = str(entry["detail"]).removeprefix(f"{follow_up_id}:").strip()
            if why:
                timing[str(follow_up_id)] = why
            else:
                timing.pop(str(follow_up_id), None)
        elif entry["event"] in _RETIMED:
            timing.pop(str(follow_up_id), None)
    return timing


def interview_view(bundle: InterviewBundle) -> dict[str, Any]:
    """`GET /interviews/{id}`: the interview as submitted, each follow-up's state, and the timeline in order."""
    interview = dict(bundle.interview["document"])
    interview.update(
        {
            "id": bundle.interview["interview_id"],
            "submitted_at": bundle.interview["submitted_at"],
            "status": bundle.interview.get("status", "active"),
        }
    )
    if bundle.interview.get("outcome"):
        interview["outcome"] = bundle.interview["outcome"]
    timing = timing_by_follow_up(bundle)
    follow_ups = []
    for record in bundle.follow_ups:
        due = parse_instant(record.due_at)
        follow_ups.append(
            {
                "id": record.follow_up_id,
                "kind": record.kind,
                "to": record.to,
                "due_at": record.due_at,
                "local_due_at": _local(due, record.timezone),
                "status": record.status,
                "message_id": record.message_id,
                "reason": record.reason,
                "timing": timing.get(record.follow_up_id),
            }
        )
    timeline = [{"at": entry["at"], "event": entry["event"], "detail": entry["detail"]} for entry in bundle.timeline]
    return {"interview": interview, "follow_ups": follow_ups, "timeline": timeline}


def preview_interview(request: InterviewRequest, now: datetime, templates: TemplateSet | None = None) -> dict[str, Any]:
    """`POST /preview`: every planned message rendered, with local send times, why each goes when it does (when
    not obvious: `timing`) and the linter's findings beside each; nothing stored or sent."""
    plan = plan_follow_ups(request, now)
    candidate_zone = request.candidate_timezone()
    rendered: dict[str, RenderedMessage] = {}

    def render(req: InterviewRequest, follow_up: PlannedFollowUp) -> RenderedMessage:
        rendered[follow_up.id] = message = render_follow_up(req, follow_up, templates=templates)
        return message

    findings = lint_plan(request, plan, render=render)
    messages = []
    for follow_up in plan.follow_ups:
        message = rendered.get(follow_up.id)
        messages.append(
            {
                "id": follow_up.id,
                "kind": str(follow_up.kind),
                "to": follow_up.to,
                "due_at": iso_utc(follow_up.due_at),
                "local_due_at": _local(follow_up.due_at, follow_up.timezone),
                "candidate_local_due_at": _local(follow_up.due_at, candidate_zone),
                "timing": follow_up.reason,
                "subject": message.subject if message else "",
                "text": message.text if message else "",
                "html": message.html if message else "",
                "findings": findings_json(findings.get(follow_up.id, [])),
            }
        )
    return {"follow_ups": messages, "warnings": input_warnings(request) + plan_warnings(request, plan, now)}


def message_as_it_goes(
    request: InterviewRequest, record: FollowUpRecord, templates: TemplateSet | None = None
) -> RenderedMessage:
    """What a follow-up would send (without its action links): the candidate's own wording when they changed it in
    the control panel, else the deployment's templates' (custom, or built-in)."""
    from followup.messages.render import render_edited

    if record.edited_text:
        return render_edited(record.edited_subject or "", record.edited_text)
    return render_follow_up(request, record.planned(), templates=templates)
