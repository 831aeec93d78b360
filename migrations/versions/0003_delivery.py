"""Delivery: the outbox of signed events, their push state and leases.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(19), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_from", TS, nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", TS),
        sa.Column("last_error", sa.String(200)),
        sa.Column("delivered_at", TS),
    )
    op.create_index("ix_events_recipient_seq", "events", ["recipient", "seq"])
    op.create_index("ix_events_state_seq", "events", ["state", "seq"])
    # Only events with a push due or leased are indexed: the worker's claim scans just those.
    op.create_index(
        "ix_events_due",
        "events",
        ["next_attempt_at"],
        postgresql_where=sa.text("next_attempt_at IS NOT NULL"),
        sqlite_where=sa.text("next_attempt_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("events")
