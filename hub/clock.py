"""The hub's notion of now; tests move it forward instead of sleeping.

Only `utcnow()` is read by services; `offset` is changed by the test clock fixture.
"""

from datetime import UTC, datetime, timedelta

offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + offset
