"""Signed checkpoints in the database: signing the tree a transaction sees as a C2SP
signed note, at most one stored per tree size however many processes sign it."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import clock
from hub.db import insert_ignore
from hub.log import storage
from hub.log.checkpoint import Checkpoint
from hub.log.models import LogCheckpoint
from hub.log.note import sign_note
from hub.signing import HubKey

_checkpoints = LogCheckpoint.__table__


def latest(session: Session) -> LogCheckpoint | None:
    query = select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)  # type: ignore[union-attr]
    return session.scalars(query).first()


def note_for(key: HubKey, origin: str, tree_size: int, root_hash: bytes) -> str:
    """The checkpoint text for this tree, signed by `key` under the key name `origin`."""
    return sign_note(Checkpoint(origin, tree_size, root_hash).text, origin, key.private_key)


def sign(session: Session, key: HubKey, origin: str) -> LogCheckpoint:
    """Signs the tree this session sees unless a checkpoint of its size exists; returns the
    latest checkpoint. The caller checks that `key` is not retired (`keys.ensure_signing`)."""
    tree_size = storage.size(session)
    newest = latest(session)
    if newest is not None and newest.size >= tree_size:
        return newest
    root_hash = storage.root(session, tree_size)
    insert_ignore(
        session,
        _checkpoints,
        {
            "size": tree_size,
            "root_hash": root_hash,
            "note": note_for(key, origin, tree_size, root_hash),
            "kid": key.kid,
            "signed_at": clock.utcnow(),
        },
        ["size"],
    )
    # Another process may have stored this size first: serve what the table holds.
    stored = session.scalars(select(LogCheckpoint).where(LogCheckpoint.size == tree_size)).one()
    return stored
