"""When a follow-up goes once its planned time is no longer the answer: an approved draft (review mode) and a due
time that passed before the planner could schedule it (a retried or late planner).

Both take the first slot at or after "now" (rounded up to the whole minute, Scheduler's precision) inside the
recipient's send window on one of their working days: now, when now is inside it; the next window's opening when it
is not (a draft approved at 23:30 goes the next working morning, never at night). The handwritten-note reminder is
an evening nudge to the candidate by design: it goes at that minute whatever the window. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from followup.domain.cadence import recipient_window
from followup.domain.kinds import FollowUpKind
from followup.domain.models import InterviewRequest, PlannedFollowUp
from followup.domain.timing_words import day_words, when_words
from followup.domain.window import ceil_to

__all__ = ["ASAP_LEAD", "THANK_YOU_STALE_WORKING_DAYS", "approval_concern", "is_in_window", "next_send_slot"]

# "As soon as possible" is this far from now, so a schedule is never written for a minute already running.
ASAP_LEAD = timedelta(minutes=1)
# A thank-you that would go more working days than this after the interview reads as an afterthought.
THANK_YOU_STALE_WORKING_DAYS = 5
_MINUTE = timedelta(minutes=1)
_UNWINDOWED = frozenset({FollowUpKind.REMINDER_HANDWRITTEN_NOTE})


def next_send_slot(request: InterviewRequest, follow_up: PlannedFollowUp, not_before: datetime) -> datetime:
    """The first moment >= `not_before` (rounded up to the minute) at which `follow_up` may go: inside its
    recipient's send window on a working day (`not_before` itself when that is inside it)."""
    at = ceil_to(not_before, _MINUTE)
    if FollowUpKind(follow_up.kind) in _UNWINDOWED:
        return at
    return recipient_window(request, follow_up).next_slot(at)


def is_in_window(request: InterviewRequest, follow_up: PlannedFollowUp, at: datetime) -> bool:
    """`at` is a moment `follow_up` may go (see `next_send_slot`)."""
    return FollowUpKind(follow_up.kind) in _UNWINDOWED or recipient_window(request, follow_up).fits(at)


def approval_concern(
    request: InterviewRequest,
    follow_up: PlannedFollowUp,
    goes_at: datetime,
    later: Sequence[PlannedFollowUp] = (),
) -> str | None:
    """Why a draft approved now would go too late to be useful, in plain words, or None. `later` holds the other
    follow-ups still pending (the next nudge to the same person must not come first)."""
    kind = FollowUpKind(follow_up.kind)
    label = kind.spec.label.lower()
    goes = when_words(goes_at, follow_up.timezone)
    window = recipient_window(request, follow_up)
    local_day = window.local(goes_at).date()
    decision = request.next_steps.decision_expected_by
    if kind is FollowUpKind.THANK_YOU:
        if decision is not None and local_day > decision:
            return (
                f"The decision was expected by {day_words(decision)}: this {label} would go {goes}, after it. "
                "A thank-you after the decision can read as out of step."
            )
        ended = window.local(request.interview.ended_at).date()
        if window.calendar.working_days_between(ended, local_day) > THANK_YOU_STALE_WORKING_DAYS:
            return (
                f"This {label} would go {goes}, more than {THANK_YOU_STALE_WORKING_DAYS} working days after "
                "the interview; so long after, it can read as an afterthought."
            )
    for other in later:
        same_person = other.to.strip().lower() == follow_up.to.strip().lower()
        if other.id != follow_up.id and same_person and FollowUpKind(other.kind).is_nudge and other.due_at <= goes_at:
            other_label = FollowUpKind(other.kind).spec.label.lower()
            return (
                f"The {other_label} to {other.to_name} is planned for {when_words(other.due_at, other.timezone)}, "
                f"before this {label} would go ({goes})."
            )
    return None
