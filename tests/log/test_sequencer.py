"""The sequencer orders what requests wrote after they commit: a transaction that
commits late is numbered late, never skipped; requests never wait for a step; a step that
dies takes nothing with it."""

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub import clock, exchange
from hub.db import Database
from hub.delivery import service
from hub.delivery.models import EventFeed
from hub.exchange import sequencer
from hub.hotlines.models import Hotline
from hub.log import storage
from hub.log.models import LogCheckpoint, LogPending
from hub.migrate import upgrade
from hub.settings import Settings
from hub.signing import KeyRing
from tests.conftest import POSTGRES_URL
from tests.log.vectors import generate

ORIGIN = "hub.test/log"
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs PostgreSQL (SQLite has one writer): set HUB_TEST_DATABASE_URL"
)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    upgrade(database.engine)
    with database.transaction() as session:
        now = clock.utcnow()
        session.add(
            Hotline(
                id="NL-MELDPUNT", name="Meldpunt", public_keys=[], created_at=now, updated_at=now
            )
        )
    yield database
    database.dispose()


def _write(session, n: int) -> None:  # type: ignore[no-untyped-def]
    exchange.log(session, "route.set", actor="operator", subject={"n": n}, country="NL")
    exchange.notify(session, "referral.status", ["NL-MELDPUNT"], {"n": n})


def _step(database: Database, tmp_path: Path) -> LogCheckpoint:
    checkpoint = sequencer.step(database, KeyRing(tmp_path / "key.pem"), ORIGIN, wait=True)
    assert checkpoint is not None
    return checkpoint


def _feed(database: Database, after: int) -> list[tuple[int, int]]:
    with database.session(write=False) as session:
        events = service.feed(session, "NL-MELDPUNT", after, 100)
        return [(seq, json.loads(event.body)["data"]["n"]) for seq, event in events]


def _leaves(database: Database) -> list[dict[str, object]]:
    with database.session(write=False) as session:
        return [json.loads(leaf) for _, leaf in storage.entries(session, 0, 10**6)]


@needs_postgres
def test_a_transaction_that_commits_late_is_numbered_after_and_never_skipped(
    database: Database, tmp_path: Path
) -> None:
    late = database.session(write=True)
    late.begin()
    _write(late, 1)  # written first, committed last
    with database.transaction() as session:
        _write(session, 2)

    _step(database, tmp_path)
    assert _feed(database, 0) == [(1, 2)]
    assert [leaf["seq"] for leaf in _leaves(database)] == [0]

    late.commit()
    late.close()
    checkpoint = _step(database, tmp_path)

    # A puller resuming after cursor 1 gets the late event: nothing was passed over.
    assert _feed(database, 1) == [(2, 1)]
    leaves = _leaves(database)
    assert [leaf["seq"] for leaf in leaves] == [0, 1]
    with database.session(write=False) as session:
        raw = [leaf for _, leaf in storage.entries(session, 0, 2)]
    assert checkpoint.size == 2 and checkpoint.root_hash == generate.mth(raw)


@needs_postgres
def test_requests_write_while_a_step_holds_the_lock(database: Database, tmp_path: Path) -> None:
    with database.transaction() as holder:
        assert sequencer.hold(holder)
        finished = threading.Event()

        def request() -> None:
            with database.transaction() as session:
                _write(session, 1)
            finished.set()

        thread = threading.Thread(target=request)
        thread.start()
        # Not a timing test: if the request waited for the lock it would never finish here.
        assert finished.wait(30), "a request waited for the sequencer's lock"
        thread.join()
        ring = KeyRing(tmp_path / "key.pem")
        assert sequencer.step(database, ring, ORIGIN, wait=False) is None
    assert _step(database, tmp_path).size == 1


def test_a_step_that_dies_takes_nothing_and_the_next_step_does_its_work(
    database: Database, tmp_path: Path
) -> None:
    for n in range(5):
        with database.transaction() as session:
            _write(session, n)
    with pytest.raises(RuntimeError), database.transaction() as session:
        sequencer.hold(session)
        assert sequencer.sequence(session) == 10
        raise RuntimeError("the process died mid-step")

    with database.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(LogPending)) == 5
        assert session.scalar(select(func.count()).where(EventFeed.seq.is_not(None))) == 0  # type: ignore[union-attr]
    checkpoint = _step(database, tmp_path)

    assert [leaf["seq"] for leaf in _leaves(database)] == [0, 1, 2, 3, 4]
    assert _feed(database, 0) == [(n + 1, n) for n in range(5)]
    assert checkpoint.size == 5
    with database.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(LogPending)) == 0
