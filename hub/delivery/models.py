"""The outbox table: one signed event per recipient hotline, with its push state.

`next_attempt_at` is set only while a push is due or leased; NULL means nothing to push.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, text
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"


class Event(SQLModel, table=True):
    """An event, its signature at creation, and how far its push has got.

    `body` holds the exact bytes pushed (JCS of id, type, created_at, data); every push
    attempt and pulled copy is signed afresh when sent (`signer.sign_now`). `seq` is the
    pull cursor: NULL until the sequencer numbers the event (`EventQueue`), so a cursor
    never passes an event that commits late; pushes do not wait for it.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_recipient_seq", "recipient", "seq"),
        Index("ix_events_state_seq", "state", "seq"),
        Index(
            "ix_events_due",
            "next_attempt_at",
            postgresql_where=text("next_attempt_at IS NOT NULL"),
            sqlite_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    type: str = Field(max_length=40)
    recipient: str = Field(max_length=19)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))
    signature: str = Field(max_length=100)
    state: str = Field(default=PENDING, max_length=16)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    retry_from: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    last_error: str | None = Field(default=None, max_length=200)
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class EventQueue(SQLModel, table=True):
    """Events written but not yet numbered, in the order they were written (`pos`)."""

    __tablename__ = "event_queue"

    pos: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    event_id: str = Field(max_length=40)
