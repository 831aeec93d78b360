"""Signed checkpoints in the database: signing the tree a transaction sees as a C2SP
signed note, at most one stored per tree size however many processes sign it, with a
key recorded on its first use and refused once rotated out."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import clock
from hub.db import insert_ignore
from hub.log import storage
from hub.log.checkpoint import Checkpoint
from hub.log.models import HubKeyRecord, LogCheckpoint
from hub.log.note import sign_note
from hub.signing import HubKey
from schemas.common import format_timestamp

_checkpoints = LogCheckpoint.__table__
_keys = HubKeyRecord.__table__


class RetiredKey(RuntimeError):
    """The key about to sign was rotated out: the key file has changed since it was read."""


def record(session: Session, key: HubKey, now: datetime) -> None:
    """Remembers `key` as used from `now` on, unless it is already known."""
    insert_ignore(
        session,
        _keys,
        {"kid": key.kid, "public_key": key.public_bytes, "created_at": now},
        ["kid"],
    )


def ensure_signing(session: Session, key: HubKey) -> None:
    """Records `key` on its first use; raises `RetiredKey` if it has been rotated out."""
    row = session.execute(select(_keys.c.retired_at).where(_keys.c.kid == key.kid)).first()
    if row is None:
        record(session, key, clock.utcnow())
    elif row.retired_at is not None:
        raise RetiredKey(f"key {key.kid} was retired at {format_timestamp(row.retired_at)}")


def latest(session: Session) -> LogCheckpoint | None:
    query = select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)  # type: ignore[union-attr]
    return session.scalars(query).first()


def note_for(key: HubKey, origin: str, tree_size: int, root_hash: bytes) -> str:
    """The checkpoint text for this tree, signed by `key` under the key name `origin`."""
    return sign_note(Checkpoint(origin, tree_size, root_hash).text, origin, key.private_key)


def sign(session: Session, key: HubKey, origin: str) -> LogCheckpoint:
    """Signs the tree this session sees unless a checkpoint of its size exists; returns the
    latest checkpoint. The caller checks that `key` is not retired (`ensure_signing`)."""
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
