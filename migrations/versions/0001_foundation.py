"""Foundation: tokens, hotlines and routes, reports, cases, content identity, referrals.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("principal", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("revoked_at", TS),
    )
    op.create_index("ix_tokens_subject", "tokens", ["subject"])

    op.create_table(
        "hotlines",
        sa.Column("id", sa.String(19), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("webhook_url", sa.String(2048)),
        sa.Column("public_keys", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "hotline_countries",
        sa.Column("country", sa.String(2), primary_key=True),
        sa.Column("hotline_id", sa.String(19), sa.ForeignKey("hotlines.id"), primary_key=True),
    )
    op.create_index("ix_hotline_countries_hotline_id", "hotline_countries", ["hotline_id"])
    op.create_table(
        "routes",
        sa.Column("country", sa.String(2), primary_key=True),
        sa.Column("hotline_id", sa.String(19), sa.ForeignKey("hotlines.id"), nullable=False),
    )

    op.create_table(
        "contents",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "content_hashes",
        sa.Column("alg", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(200), primary_key=True),
        sa.Column("content_id", sa.String(40), nullable=False),
        sa.Column("quality", sa.Integer()),
    )
    op.create_index("ix_content_hashes_content_id", "content_hashes", ["content_id"])
    op.create_table(
        "pdq_hashes",
        sa.Column("seq", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("content_id", sa.String(40), nullable=False),
        sa.Column("value", sa.String(64), nullable=False, unique=True),
    )

    op.create_table(
        "cases",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("url_key", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("open_url_hash", sa.String(64), unique=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reporter_id", sa.String(19), nullable=False),
        sa.Column("content_id", sa.String(40), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("hosting_ip", sa.String(45)),
        sa.Column("hosting_country", sa.String(2)),
        sa.Column("hosting_source", sa.String(16), nullable=False),
        sa.Column("routing_reason", sa.String(32), nullable=False),
        sa.Column("unassigned", sa.Boolean(), nullable=False),
        sa.Column("active_referral_id", sa.String(40)),
        sa.Column("previous_case_id", sa.String(40)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS),
    )
    op.create_index("ix_cases_url_hash", "cases", ["url_hash"])
    op.create_index("ix_cases_content_id", "cases", ["content_id"])
    op.create_index("ix_cases_unassigned", "cases", ["unassigned", "id"])
    op.create_table(
        "case_reporters",
        sa.Column("case_id", sa.String(40), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("hotline_id", sa.String(19), primary_key=True),
        sa.Column("joined_at", TS, nullable=False),
    )
    op.create_index("ix_case_reporters_hotline_id", "case_reporters", ["hotline_id"])

    op.create_table(
        "reports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("hotline_id", sa.String(19), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("body_digest", sa.String(64), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.Column("site_type", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(40)),
        sa.Column("opened_case", sa.Boolean(), nullable=False),
        sa.Column("content_id", sa.String(40)),
        sa.Column("content_known", sa.Boolean(), nullable=False),
        sa.Column("match", sa.JSON()),
        sa.Column("hosting_ip", sa.String(45)),
        sa.Column("hosting_country", sa.String(2)),
        sa.Column("hosting_source", sa.String(16), nullable=False),
        sa.Column("routing_to", sa.String(19)),
        sa.Column("routing_referral", sa.String(40)),
        sa.Column("routing_reason", sa.String(32), nullable=False),
        sa.UniqueConstraint("hotline_id", "reference", name="uq_reports_hotline_reference"),
    )
    op.create_index("ix_reports_hotline_id", "reports", ["hotline_id", "id"])
    op.create_index("ix_reports_case_id", "reports", ["case_id"])

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("to_hotline", sa.String(19), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
        sa.Column("status_at", TS),
        sa.Column("removed_at", TS),
        sa.Column("rerouted_from", sa.String(40)),
    )
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"])
    op.create_index("ix_referrals_to_id", "referrals", ["to_hotline", "id"])
    op.create_table(
        "status_changes",
        sa.Column("seq", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("referral_id", sa.String(40)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(256), unique=True),
    )
    op.create_index("ix_status_changes_case_id", "status_changes", ["case_id"])
    op.create_index("ix_status_changes_referral_id", "status_changes", ["referral_id"])


def downgrade() -> None:
    for table in (
        "status_changes",
        "referrals",
        "reports",
        "case_reporters",
        "cases",
        "pdq_hashes",
        "content_hashes",
        "contents",
        "routes",
        "hotline_countries",
        "hotlines",
        "tokens",
    ):
        op.drop_table(table)
