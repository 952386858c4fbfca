"""The follow-up kinds (docs/architecture.md "Follow-up kinds") and one registry entry per kind that cadence,
messages, the linter, the form and the custom-template sample all read.

Adding a kind: one `FollowUpKind` member, one `KindSpec` in `KINDS`, its subject rule in
`followup.messages.subjects`, and its templates (one per tone for company-facing kinds, `any` for the candidate's
reminders). `tests/unit/test_kind_registry.py` fails until every piece exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

__all__ = ["KINDS", "TONES", "FollowUpKind", "KindSpec", "UnknownKindError", "spec"]

TONES = ("formal", "warm", "concise")


class FollowUpKind(StrEnum):
    THANK_YOU = "thank_you"
    CHECK_IN = "check_in"
    FINAL = "final"
    REMINDER_HANDWRITTEN_NOTE = "reminder_handwritten_note"
    REMINDER_LINKEDIN = "reminder_linkedin"
    REMINDER_WORK_SAMPLES = "reminder_work_samples"

    @property
    def spec(self) -> KindSpec:
        return spec(self)

    @property
    def is_nudge(self) -> bool:
        """Messages to the company (stopped by any reply or outcome), as opposed to the candidate's own tasks."""
        return spec(self).audience == "company"


class UnknownKindError(LookupError):
    """A kind with no registry entry: a programming error, never defaulted."""


@dataclass(frozen=True)
class KindSpec:
    """What the rest of the code needs to know about one kind."""

    kind: FollowUpKind
    audience: Literal["company", "candidate"]
    label: str  # how pages name it ("Thank-you", "Reminder: LinkedIn")
    word_limit: int | None  # body words, greeting and signature excluded; None = no limit
    # Moved when the decision date changes (PATCH), because its timing is derived from that date.
    replanned_on_decision_change: bool
    # Template names under messages/templates/<kind>/: one per tone, or "any" for every tone.
    template_tones: tuple[str, ...]
    # Waits out the recipient's year-end break (`WorkingCalendar.year_end_break`): a nudge nobody reads until January
    # is one more unread mail on the pile. A thank-you goes the day after the interview, whenever that is.
    waits_out_year_end: bool = False

    @property
    def is_nudge(self) -> bool:
        return self.audience == "company"


def _spec(
    kind: FollowUpKind,
    audience: Literal["company", "candidate"],
    label: str,
    word_limit: int | None = None,
    *,
    replanned: bool = False,
    waits_out_year_end: bool = False,
) -> KindSpec:
    tones = TONES if audience == "company" else ("any",)
    return KindSpec(kind, audience, label, word_limit, replanned, tones, waits_out_year_end)


KINDS: Mapping[FollowUpKind, KindSpec] = MappingProxyType(
    {
        spec_.kind: spec_
        for spec_ in (
            _spec(FollowUpKind.THANK_YOU, "company", "Thank-you", 200),
            _spec(FollowUpKind.CHECK_IN, "company", "Check-in", 120, replanned=True, waits_out_year_end=True),
            _spec(FollowUpKind.FINAL, "company", "Final check-in", 100, replanned=True, waits_out_year_end=True),
            _spec(FollowUpKind.REMINDER_HANDWRITTEN_NOTE, "candidate", "Reminder: handwritten note"),
            _spec(FollowUpKind.REMINDER_LINKEDIN, "candidate", "Reminder: LinkedIn"),
            _spec(FollowUpKind.REMINDER_WORK_SAMPLES, "candidate", "Reminder: work samples"),
        )
    }
)


def spec(kind: FollowUpKind | str) -> KindSpec:
    """The registry entry of `kind`; an unknown kind raises `UnknownKindError`."""
    try:
        return KINDS[FollowUpKind(kind)]
    except (KeyError, ValueError):
        raise UnknownKindError(f"no registry entry for follow-up kind {kind!r}") from None
