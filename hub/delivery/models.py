"""The outbox table: one signed event per recipient hotline, with its push state.

`next_attempt_at` is set only while a push is due or leased; NULL means nothing to push.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, text
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"


class Event(SQLModel, table=True):
    """An event, its signature at creation, and how far its push has got.

    `body` holds the exact bytes pushed (JCS of id, type, created_at, data); every push
    attempt and pulled copy is signed afresh when sent (`signer.sign_now`). Its pull
    cursor is in `EventFeed`, a table only the sequencer updates, so numbering events
    never waits on (or holds) the row locks of the workers pushing them.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_state", "state"),
        Index(
            "ix_events_due",
            "next_attempt_at",
            postgresql_where=text("next_attempt_at IS NOT NULL"),
            sqlite_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(max_length=40)
    recipient: str = Field(max_length=19)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: str = Field(default=PENDING, max_length=16)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    retry_from: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    last_error: str | None = Field(default=None, max_length=200)
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class EventFeed(SQLModel, table=True):
    """Each event's place in its recipient's pull feed: `pos` in the order events were
    written, `seq` (the cursor) NULL until the sequencer numbers it after commit, so a
    cursor never passes an event that commits late."""

    __tablename__ = "event_feed"
    __table_args__ = (
        Index("ix_event_feed_recipient_seq", "recipient", "seq"),
        Index(
            "ix_event_feed_unnumbered",
            "pos",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )

    pos: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    event_id: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    recipient: str = Field(max_length=19)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
