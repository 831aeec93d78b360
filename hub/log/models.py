"""Tables of the exchange log: leaves in sequence, the perfect Merkle nodes above them,
signed checkpoints, and every key the hub has signed with."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime

# An INTEGER PRIMARY KEY is SQLite's rowid: the cheapest key there is; BIGINT elsewhere.
LogKey = BigInteger().with_variant(Integer(), "sqlite")


class LogLeaf(SQLModel, table=True):
    """One leaf: its exact JCS bytes, and its RFC 9162 hash for lookups by hash."""

    __tablename__ = "log_leaves"

    seq: int = Field(sa_column=Column(LogKey, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False, index=True))
    leaf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The leaf's `digest`: a holder of the object finds its own leaves, and only those.
    digest: str = Field(sa_column=Column(String(71), nullable=False, index=True))


class LogPending(SQLModel, table=True):
    """An exchange event written by a request, waiting for the sequencer to give it a `seq`.

    `id` follows allocation order, so an event caused by another always comes after it.
    `leaf` holds the event's leaf, JCS text with `"seq":0` (`hub.log.leaves.leaf_template`):
    the sequencer only writes its number in, so the serial step does no encoding."""

    __tablename__ = "log_pending"

    id: int | None = Field(
        default=None, sa_column=Column(LogKey, primary_key=True, autoincrement=True)
    )
    leaf: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(sa_column=Column(String(71), nullable=False))


class LogNode(SQLModel, table=True):
    """One perfect subtree's hash, keyed by its in-order position (see `node_key`)."""

    __tablename__ = "log_nodes"

    id: int = Field(sa_column=Column(LogKey, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class LogCheckpoint(SQLModel, table=True):
    """A signed checkpoint; one per tree size, whichever process signed it first."""

    __tablename__ = "log_checkpoints"

    size: int = Field(sa_column=Column(LogKey, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    kid: str = Field(sa_column=Column(String(64), nullable=False))
    signed_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class HubKeyRecord(SQLModel, table=True):
    """A public key the hub has signed with, from when it was first used until rotated out."""

    __tablename__ = "hub_keys"

    kid: str = Field(sa_column=Column(String(64), primary_key=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    retired_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


def node_key(level: int, index: int) -> int:
    """The in-order position of perfect node ``(level, index)`` in the complete binary tree
    laid flat: leaves at even positions, a parent between its two children. One integer key
    per node keeps the table a plain rowid table and a proof one ``IN (...)`` lookup."""
    return (index << (level + 1)) + (1 << level) - 1
