"""The sequencer: gives queued exchange events their place in the log and the event feed.

Requests write their events to queues (`hub.log.queue`, `hub.delivery.outbox`) and take
no lock that other requests wait on. One sequencer step at a time, in any process, takes
what has committed, in the order it was written: it appends the leaves with their nodes,
numbers the outbox events' pull cursors, and signs a checkpoint of the new tree, all in
one transaction. On PostgreSQL the step holds a transaction-level advisory lock, so a
process that dies mid-step hands over by dying: its transaction rolls back and the next
step, in whichever process polls first, takes the same events again. On SQLite the
write lock (`BEGIN IMMEDIATE`) already lets one step run at a time.

Every `serve` process polls (`hub.jobs.sequence`); reads that must see every acknowledged change
(the checkpoint, a hotline's leaves by digest, the event feed) run a step first
(`catch_up`), so a 2xx is in the next checkpoint anyone reads.
"""

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

from hub.db import Database
from hub.delivery import outbox
from hub.log import queue, signer, storage
from hub.log.models import LogCheckpoint
from hub.signing import KeyRing

LOCK = 0x48554253  # "HUBS"
BATCH = 2000
logger = logging.getLogger("hub.log")


def hold(session: Session, *, wait: bool = True) -> bool:
    """Takes the sequencer's lock until the transaction ends; False if `wait` is off and
    another step holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    got = session.execute(text(f"SELECT {function}(:key)"), {"key": LOCK}).scalar()
    return wait or bool(got)


def sequence(session: Session) -> int:
    """Appends up to BATCH queued events as leaves and numbers up to BATCH queued outbox
    events; returns how many of both. The caller holds the lock."""
    queued = queue.take(session, BATCH)
    if queued:
        storage.append_many(session, queued)
        queue.drop(session, [item.id for item in queued])
    return len(queued) + outbox.number_queued(session, BATCH)


def append_now(session: Session, entries: list[queue.Entry]) -> None:
    """Appends `entries` straight after everything queued so far, for a caller that must
    sign the tree holding them in the same transaction (a key rotation)."""
    hold(session)
    while sequence(session) >= BATCH:
        pass
    storage.append_many(
        session, [queue.Queued(0, leaf, digest) for leaf, digest in queue.pending(entries)]
    )


def step(
    database: Database, keyring: KeyRing, origin: str, *, wait: bool, rounds: int | None = None
) -> LogCheckpoint | None:
    """Sequencer transactions, each of up to BATCH events and a checkpoint of the tree,
    until the queues are empty or `rounds` have run; the lock is free between them.
    Returns the latest checkpoint, or None if `wait` is off and another step is running."""
    done_rounds = 0
    while True:
        done_rounds += 1
        with database.transaction() as session:
            if not hold(session, wait=wait):
                return None
            done = sequence(session)
            key = keyring.current()
            signer.ensure_signing(session, key)
            latest = signer.sign(session, key, origin)
        if done < BATCH or (rounds is not None and done_rounds >= rounds):
            return latest


def catch_up(database: Database, keyring: KeyRing, origin: str) -> LogCheckpoint:
    """The checkpoint of a tree holding every event committed before this call."""
    with database.session(write=False) as session:
        newest = signer.latest(session)
        backlog = max(queue.count(session), outbox.unnumbered(session))
        behind = backlog or newest is None or newest.size < storage.size(session)
    if not behind:
        assert newest is not None
        return newest
    # Enough rounds for what was queued at the start, not for what keeps arriving: under a
    # steady stream a read would otherwise wait for the queue to run dry.
    rounds = 1 + backlog // BATCH
    try:
        latest = step(database, keyring, origin, wait=True, rounds=rounds)
    except signer.RetiredKey:
        # A rotation replaced the key file before committing: the next step has the new key.
        latest = step(database, keyring, origin, wait=True, rounds=rounds)
    assert latest is not None
    return latest
