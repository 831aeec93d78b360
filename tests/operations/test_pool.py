"""A pooled PostgreSQL connection that the server dropped while it sat idle (a restart,
`pg_terminate_backend`) is replaced when it is next checked out: no request meets it."""

import time

import psycopg
import pytest
from sqlalchemy import text

from hub.db import Database
from hub.settings import Settings
from tests.conftest import POSTGRES_URL, libpq

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs PostgreSQL: set HUB_TEST_DATABASE_URL"
)


def _backend_pid(database: Database) -> int:
    with database.session(write=False) as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(database_url: str, pid: int) -> None:
    with psycopg.connect(libpq(database_url), autocommit=True) as connection:
        assert connection.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        for _ in range(100):  # until the backend has gone
            query = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s"
            if connection.execute(query, [pid]).fetchone() == (0,):
                return
            time.sleep(0.05)
    raise AssertionError("the terminated backend did not go away")


def test_a_connection_killed_while_idle_is_replaced_at_checkout(database_url: str) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        for _ in range(3):  # and again: the replacement is pooled like any other
            killed = _backend_pid(database)
            _kill(database_url, killed)
            assert _backend_pid(database) != killed  # a statement ran: no error
        assert not database.outage.down
    finally:
        database.dispose()
