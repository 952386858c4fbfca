"""Send pacing and the throttled-record back-off, on a fake clock."""

from __future__ import annotations

import pytest

from followup.core.pacing import SendPacer, share_of_rate
from followup.sender.handler import retry_delay_seconds


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_sender_never_exceeds_its_share_of_the_ses_rate() -> None:
    # Given an account rate of 14 recipients/s shared by 2 senders, and messages of 2 recipients (To + Cc)
    time = FakeTime()
    pacer = SendPacer(share_of_rate(14, 2), monotonic=time.monotonic, sleep=time.sleep)

    # When 100 messages are sent back to back
    starts = []
    for _ in range(100):
        pacer.wait(2)
        starts.append(time.now)

    # Then no one-second window holds more than 7 recipients from this sender
    for first in starts:
        in_window = [t for t in starts if first <= t < first + 1.0]
        assert len(in_window) * 2 <= 7
    assert starts[-1] - starts[0] == pytest.approx(99 * (1 / 3 + 0.001))  # three 2-recipient messages a second: 6 ≤ 7


def test_an_idle_sender_does_not_wait() -> None:
    time = FakeTime()
    pacer = SendPacer(7, monotonic=time.monotonic, sleep=time.sleep)
    pacer.wait(2)
    time.now += 10
    pacer.wait(2)
    assert time.slept == []


def test_a_hold_after_ses_said_busy_delays_the_next_send_on_the_pacers_clock() -> None:
    time = FakeTime()
    pacer = SendPacer(7, monotonic=time.monotonic, sleep=time.sleep)
    pacer.wait(1)
    pacer.hold(1.0)
    assert pacer.expected_wait() == pytest.approx(1.0)
    pacer.wait(1)
    assert time.slept == [pytest.approx(1.0)]
    # A hold shorter than the pacing interval already ahead changes nothing
    pacer.hold(0.0)
    assert pacer.expected_wait() == pytest.approx(1 / 7 + 0.001)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SendPacer(0)


@pytest.mark.parametrize(("receive_count", "low", "high"), [(1, 5, 7.5), (2, 10, 15), (4, 40, 60), (9, 300, 450)])
def test_throttled_records_back_off_exponentially_with_jitter_and_a_cap(receive_count: int, low: float, high: float):
    delays = {retry_delay_seconds(receive_count) for _ in range(50)}
    assert all(low - 1 <= d <= high for d in delays)
