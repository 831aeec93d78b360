"""Protocol 1.1 routing and records: CDN and network of the hosting address, CDN routes,
and the actions a referral's hotline records (law enforcement or host notified).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
HOSTING = ("cases", "reports")


def upgrade() -> None:
    for table in HOSTING:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("hosting_cdn", sa.String(32)))
            batch.add_column(sa.Column("hosting_asn", sa.BigInteger()))
            batch.add_column(sa.Column("hosting_network", sa.String(200)))
    op.create_table(
        "cdn_routes",
        sa.Column("provider", sa.String(32), primary_key=True),
        sa.Column("hotline_id", sa.String(19), sa.ForeignKey("hotlines.id"), nullable=False),
    )
    op.create_table(
        "referral_actions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("referral_id", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(256), unique=True),
    )
    op.create_index("ix_referral_actions_referral_id", "referral_actions", ["referral_id"])
    op.create_index("ix_referral_actions_case_id", "referral_actions", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_referral_actions_case_id", "referral_actions")
    op.drop_index("ix_referral_actions_referral_id", "referral_actions")
    op.drop_table("referral_actions")
    op.drop_table("cdn_routes")
    for table in HOSTING:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("hosting_network")
            batch.drop_column("hosting_asn")
            batch.drop_column("hosting_cdn")
