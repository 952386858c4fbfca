"""The send window: local wall-clock hours on a recipient's working days, and the first slot inside it.

A window is `[start, end)` of the recipient's wall clock in their timezone, on working days of their calendar
(`followup.domain.calendar`). Every due time is an aware UTC instant; the wall clock is only where it is read:
- a wall time that happens twice (DST fall-back) is taken at its first occurrence, and the second occurrence is
  used only when the first one does not fit (it is earlier than `earliest`, or not inside the window);
- a wall time that does not exist (spring-forward gap) is never a slot: a window that falls in the gap is empty
  that day, and a slot computed across the gap is checked against the wall clock it lands on.
A slot is always checked the way a person reads it: on a working day, its local time inside `[start, end)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from followup.domain.calendar import WorkingCalendar

__all__ = ["Window", "ceil_to", "local_instant", "zone"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# No calendar has this many consecutive days off; a search that runs longer is a bug, not a long holiday.
_MAX_DAYS = 60


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_instant(day: date, wall: time, tz: str, *, fold: int = 0) -> datetime:
    """The aware UTC instant at which the wall clock in `tz` shows `wall` on `day` (`fold` picks the occurrence of
    a repeated wall time; a missing one comes out shifted past the gap)."""
    return datetime.combine(day, wall.replace(fold=fold), tzinfo=zone(tz)).astimezone(UTC)


def ceil_to(at: datetime, step: timedelta) -> datetime:
    """`at` rounded up to a multiple of `step` since the epoch (5 minutes: tidy times; 1 minute: Scheduler)."""
    remainder = (at - _EPOCH) % step
    return at if not remainder else at + (step - remainder)


@dataclass(frozen=True)
class Window:
    """The send window of one recipient: wall-clock hours in `tz` on the working days of `calendar`."""

    start: time
    end: time
    tz: str
    calendar: WorkingCalendar

    @property
    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(zone(self.tz))

    def fits(self, instant: datetime, day: date | None = None) -> bool:
        """The instant reads as inside the window on a working day (and on `day`, when given)."""
        local = self.local(instant)
        if day is not None and local.date() != day:
            return False
        closing = self.calendar.closes_at(local.date())  # a half day (Christmas Eve) ends the window at noon
        end = self.end if closing is None else min(self.end, closing)
        return self.start <= local.time() < end and self.calendar.is_working_day(local.date())

    def slot_on(self, day: date, earliest: datetime, offset: timedelta = timedelta(0)) -> datetime | None:
        """`max(earliest, window start) + offset` on `day`, if that still reads as inside the window."""
        if not self.calendar.is_working_day(day):
            return None
        for fold in (0, 1):  # the second occurrence of a repeated opening time only when the first does not fit
            candidate = max(earliest, local_instant(day, self.start, self.tz, fold=fold)) + offset
            if self.fits(candidate, day):
                return candidate
        return None

    def next_slot(self, earliest: datetime, offset: timedelta = timedelta(0)) -> datetime:
        """The first instant >= `earliest` inside the window, plus `offset` kept inside the same window.

        The offset (a panel stagger) moves a slot later without leaving its window: when it would spill past the
        window's end the slot moves to the next working day, so staggered messages never collapse onto one minute.
        """
        # An offset as long as the window could never fit; cap it so a slot always exists.
        offset = min(offset, self.length - timedelta(minutes=1))
        day = self.local(earliest).date()
        for _ in range(_MAX_DAYS):
            slot = self.slot_on(day, earliest, offset)
            if slot is not None:
                return slot
            day += timedelta(days=1)
        raise ValueError(f"no send-window slot within {_MAX_DAYS} days of {earliest.isoformat()}")

    def at_wall_time(self, first_day: date, wall: time, earliest: datetime | None = None) -> datetime:
        """`wall` (inside the window, else its start) on the first working day >= `first_day` where that reads as
        inside the window and is not before `earliest`; a later day keeps the same wall time."""
        wall = wall if self.start <= wall < self.end else self.start
        day = first_day if earliest is None else max(first_day, self.local(earliest).date())
        for _ in range(_MAX_DAYS):
            if self.calendar.is_working_day(day):
                for fold in (0, 1):
                    candidate = local_instant(day, wall, self.tz, fold=fold)
                    if self.fits(candidate, day) and (earliest is None or candidate >= earliest):
                        return candidate
            day += timedelta(days=1)
        raise ValueError(f"no working day at {wall} within {_MAX_DAYS} days of {first_day}")
