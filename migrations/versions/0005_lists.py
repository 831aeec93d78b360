"""Hash lists: lists, versions, import parts, entries, retractions; reports on a list.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hash_lists",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "list_versions",
        sa.Column("list_id", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("published_at", TS),
        sa.Column("retracted_at", TS),
    )
    op.create_table(
        "list_parts",
        sa.Column("list_id", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("part", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("first_line", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "list_entries",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("list_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("quality", sa.Integer()),
        sa.Column("category", sa.String(32)),
        sa.Column("retracted_at", TS),
    )
    op.create_index("ix_list_entries_alg_value", "list_entries", ["alg", "value"])
    op.create_table(
        "list_retractions",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("list_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer()),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("retracted_at", TS, nullable=False),
    )
    with op.batch_alter_table("reports") as batch:
        batch.add_column(
            sa.Column("content_listed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("content_listed")
    for table in ("list_retractions", "list_entries", "list_parts", "list_versions", "hash_lists"):
        op.drop_table(table)
