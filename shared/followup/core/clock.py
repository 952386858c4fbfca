"""The one clock everything reads. Nothing else in the code calls `datetime.now()`.

On AWS it is the system clock. The local stack installs a virtual clock (real time by default, advanced on demand)
with `set_clock`; handlers never know the difference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; used by tests and the benchmark."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)


_current: Clock = SystemClock()


def now() -> datetime:
    """The current instant from the installed clock (aware, UTC)."""
    return _current.now()


def get_clock() -> Clock:
    return _current


def set_clock(clock: Clock) -> Clock:
    """Install `clock` for every component in this process; returns the previous one."""
    global _current
    previous, _current = _current, clock
    return previous
