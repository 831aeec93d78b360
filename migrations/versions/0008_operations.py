"""Operations: hub-wide metric counters, worker heartbeats, and when a case was purged.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "metric_counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("labels", sa.String(200), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("seen_at", TS, nullable=False),
    )
    op.add_column("cases", sa.Column("purged_at", TS))


def downgrade() -> None:
    op.drop_column("cases", "purged_at")
    op.drop_table("worker_heartbeats")
    op.drop_table("metric_counters")
