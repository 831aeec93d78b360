"""The sequencer: exchange events queued by requests, and outbox events numbered later.

Requests no longer take a global lock to give leaves and pull cursors their numbers:
they queue leaves in `log_pending` and events in `event_queue`, and the sequencer
numbers both after commit. `events.seq` is NULL until then.

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
        "event_queue",
        sa.Column("pos", KEY, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(40), nullable=False),
    )
    with op.batch_alter_table("events") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("event_queue")
    op.drop_table("log_pending")
