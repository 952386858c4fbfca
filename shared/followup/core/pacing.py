"""Send pacing: each sender keeps to its share of the SES account's rate, so a burst drains at the rate SES
allows instead of bouncing off it (SES counts recipients per second)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SendPacer:
    """Spaces sends so that at most `recipients_per_second` recipients leave this process each second."""

    def __init__(
        self,
        recipients_per_second: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if recipients_per_second <= 0:
            raise ValueError("recipients_per_second must be positive")
        self.rate = recipients_per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, recipients: int) -> None:
        """Block until `recipients` more may be sent without exceeding the rate."""
        with self._lock:
            now = self._monotonic()
            if now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval(recipients)

    def hold(self, seconds: float) -> None:
        """SES said it is busy: the next send waits at least `seconds` from now."""
        with self._lock:
            self._next = max(self._next, self._monotonic() + max(seconds, 0.0))

    def expected_wait(self) -> float:
        """Seconds before the next send may start (0 when it may start now)."""
        with self._lock:
            return max(0.0, self._next - self._monotonic())

    def interval(self, recipients: int) -> float:
        """Seconds between sends of `recipients` each: a whole number of messages per second, so that no
        one-second window (aligned or sliding) holds more than `rate` recipients."""
        per_second = int(self.rate // max(recipients, 1))
        spacing = 1.0 / per_second if per_second >= 1 else max(recipients, 1) / self.rate
        return spacing + 0.001  # a millisecond of margin against clock rounding at the window's edge


def share_of_rate(account_rate: float, concurrency: int) -> float:
    """One sender's share: the queue's MaximumConcurrency senders together stay under the account rate."""
    return max(account_rate, 0.1) / max(concurrency, 1)
