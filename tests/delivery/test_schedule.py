"""The retry schedule: exponential backoff with full jitter for 26 hours, then dead."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from hub.delivery.schedule import CAP, WINDOW, ceiling, next_attempt

START = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_the_ceiling_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [ceiling(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert ceiling(10_000) == CAP


@pytest.mark.parametrize("seed", range(20))
def test_an_event_failing_every_time_is_retried_for_more_than_24_hours_then_dead(
    seed: int,
) -> None:
    rng = random.Random(seed)
    now, failures, attempts = START, 0, [START]
    while True:
        failures += 1
        following = next_attempt(failures, START, now, rng=rng)
        if following is None:
            break
        delay = following - now
        assert timedelta(seconds=1) <= delay or following == START + WINDOW
        assert delay <= ceiling(failures)
        now = following
        attempts.append(now)
    assert attempts[-1] == START + WINDOW
    assert attempts[-1] - START >= timedelta(hours=24)
    assert 30 < len(attempts) < 200


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    rng = random.Random(1)
    assert next_attempt(1, START, START, retry_after=600, rng=rng) >= START + timedelta(minutes=10)
    capped = next_attempt(1, START, START, retry_after=10**7, rng=rng)
    assert capped == START + CAP


def test_the_window_starts_again_on_a_manual_retry() -> None:
    late = START + timedelta(hours=30)
    assert next_attempt(5, START, late) is None
    assert next_attempt(1, late, late) is not None
