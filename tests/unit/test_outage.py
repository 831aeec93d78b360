"""Telling a database outage from any other failure, and saying so once per outage."""

import logging
import sqlite3

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import exc as sa

from hub.outage import Backoff, OutageWatch, is_outage


def wrapped(orig: BaseException) -> sa.DBAPIError:
    return sa.OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (psycopg.OperationalError("connection refused"), True),  # no SQLSTATE: on connect
        (errors.AdminShutdown(), True),  # 57P01, pg_terminate_backend or a fast shutdown
        (errors.CrashShutdown(), True),
        (errors.CannotConnectNow(), True),  # 57P03, starting up
        (errors.ConnectionFailure(), True),  # class 08
        (errors.TooManyConnections(), True),  # 53300
        (errors.DiskFull(), True),  # 53100
        (errors.OutOfMemory(), True),  # 53200
        (errors.ReadOnlySqlTransaction(), True),  # 25006, a demoted primary or a standby
        (wrapped(errors.AdminShutdown()), True),
        (sa.TimeoutError("QueuePool limit reached"), True),
        (errors.UniqueViolation(), False),
        (errors.SerializationFailure(), False),
        (errors.DeadlockDetected(), False),
        (errors.QueryCanceled(), False),
        (psycopg.ProgrammingError("bad SQL"), False),
        (wrapped(sqlite3.OperationalError("database is locked")), False),
        (ValueError("not a database error"), False),
    ],
)
def test_an_outage_is_a_database_unavailable_and_nothing_else(
    error: BaseException, outage: bool
) -> None:
    assert is_outage(error) is outage


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = OutageWatch()
    with caplog.at_level(logging.INFO, logger="hub.outage"):
        watch.recovered()  # nothing to end
        for _ in range(3):
            watch.failed(errors.AdminShutdown())
        assert watch.down
        watch.recovered()
        watch.recovered()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "database unavailable; waiting for it"),
        ("INFO", "database available again"),
    ]
    assert caplog.records[0].sqlstate == "57P01"  # type: ignore[attr-defined]


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_success() -> None:
    backoff = Backoff(first=0.1, cap=1.0)
    delays = [backoff.next() for _ in range(8)]
    assert 0.05 <= delays[0] <= 0.1 and all(0.5 <= d <= 1.0 for d in delays[4:])
    backoff.reset()
    assert backoff.next() <= 0.1


def test_a_read_only_outage_ends_when_the_database_takes_writes_not_with_a_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = OutageWatch()
    with caplog.at_level(logging.INFO, logger="hub.outage"):
        watch.failed(errors.ReadOnlySqlTransaction())
        watch.recovered()  # a read went through
        watch.recovered(lambda: False)  # a new connection, to a database still read-only
        watch.failed(errors.ReadOnlySqlTransaction())
        assert watch.down
        watch.recovered(lambda: True)
    assert not watch.down
    assert [r.getMessage() for r in caplog.records] == [
        "database unavailable; waiting for it",
        "database available again",
    ]
