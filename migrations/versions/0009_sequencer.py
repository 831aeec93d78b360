"""The sequencer: exchange events queued by requests, and outbox events numbered later.

Requests no longer take a global lock to give leaves and pull cursors their numbers:
they queue leaves in `log_pending` and put events in `event_feed` without a cursor, and
the sequencer numbers both after commit. The cursor moves from `events.seq` to
`event_feed.seq`, a table only the sequencer updates, so numbering never contends with
the workers' row locks on `events`. The stored webhook timestamp and signature go:
every push attempt and pulled copy is signed when sent.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_pending",
        sa.Column("id", KEY, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(71), nullable=False),
    )
    op.create_table(
        "event_feed",
        sa.Column("pos", KEY, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(40), nullable=False, unique=True),
        sa.Column("recipient", sa.String(19), nullable=False),
        sa.Column("seq", sa.BigInteger(), unique=True),
    )
    op.create_index("ix_event_feed_recipient_seq", "event_feed", ["recipient", "seq"])
    op.create_index(
        "ix_event_feed_unnumbered",
        "event_feed",
        ["pos"],
        postgresql_where=sa.text("seq IS NULL"),
        sqlite_where=sa.text("seq IS NULL"),
    )
    op.execute(
        "INSERT INTO event_feed (pos, event_id, recipient, seq) "
        "SELECT seq, id, recipient, seq FROM events"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('event_feed', 'pos'), "
            "COALESCE((SELECT max(pos) FROM event_feed), 0) + 1, false)"
        )
    op.drop_index("ix_events_recipient_seq", "events")
    op.drop_index("ix_events_state_seq", "events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("seq")
        # Every push attempt and pulled copy is signed when sent: the stored ones are unused.
        batch.drop_column("timestamp")
        batch.drop_column("signature")
    op.create_index("ix_events_state", "events", ["state"])


def downgrade() -> None:
    op.drop_index("ix_events_state", "events")
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), unique=True))
        batch.add_column(
            sa.Column("timestamp", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("signature", sa.String(100), nullable=False, server_default=""))
    op.execute(
        "UPDATE events SET seq = (SELECT seq FROM event_feed WHERE event_feed.event_id = events.id)"
    )
    op.create_index("ix_events_recipient_seq", "events", ["recipient", "seq"])
    op.create_index("ix_events_state_seq", "events", ["state", "seq"])
    op.drop_table("event_feed")
    op.drop_table("log_pending")
