"""Log: leaves, perfect Merkle nodes, signed checkpoints and the hub's keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
# INTEGER PRIMARY KEY on SQLite is the rowid; log keys are given explicitly, never generated.
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_leaves",
        sa.Column("seq", KEY, primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(71), nullable=False),
    )
    op.create_index("ix_log_leaves_leaf_hash", "log_leaves", ["leaf_hash"])
    op.create_index("ix_log_leaves_digest", "log_leaves", ["digest"])
    op.create_table(
        "log_nodes",
        sa.Column("id", KEY, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("size", KEY, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("signed_at", TS, nullable=False),
    )
    op.create_table(
        "hub_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("retired_at", TS),
    )


def downgrade() -> None:
    op.drop_table("hub_keys")
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
    op.drop_index("ix_log_leaves_digest", table_name="log_leaves")
    op.drop_index("ix_log_leaves_leaf_hash", table_name="log_leaves")
    op.drop_table("log_leaves")
