"""Keeps the latest signed checkpoint fresh: a background job that signs within a poll of
every append, and the same step on read so `/v1/log/checkpoint` never serves a stale tree."""

import logging
import threading
from typing import TYPE_CHECKING

from hub import clock
from hub.db import Database
from hub.log import keys, signer, storage
from hub.log.models import LogCheckpoint
from hub.signing import KeyRing

if TYPE_CHECKING:
    from hub.state import HubState

POLL_SECONDS = 0.5
logger = logging.getLogger("hub.log")


def fresh(database: Database, keyring: KeyRing, origin: str) -> LogCheckpoint:
    """The checkpoint of the current tree, signing it first if nobody has yet."""
    with database.session(write=False) as session:
        tree_size = storage.size(session)
        newest = signer.latest(session)
    if newest is not None and newest.size >= tree_size:
        return newest
    try:
        return _sign(database, keyring, origin)
    except keys.RetiredKey:
        # A rotation replaced the key file before committing: the next read gets the new key.
        return _sign(database, keyring, origin)


def _sign(database: Database, keyring: KeyRing, origin: str) -> LogCheckpoint:
    key = keyring.current()
    with database.transaction() as session:
        keys.ensure_signing(session, key)
        return signer.sign(session, key, origin)


def sign_checkpoints(state: "HubState", stop: threading.Event) -> None:
    """Background job of `serve`: records the hub key, then polls the tree size and signs
    each new size (the empty tree of a new log first)."""
    try:
        with state.database.transaction() as session:
            keys.record(session, state.keyring.current(), clock.utcnow())
    except Exception:
        logger.warning("could not record the hub key", exc_info=True)
    while True:
        try:
            fresh(state.database, state.keyring, state.settings.log_origin)
        except Exception:
            logger.warning("could not sign a checkpoint", exc_info=True)
        if stop.wait(POLL_SECONDS):
            return
