"""Tables of cases: one open case per normalised URL, enforced by the database.

`open_url_hash` holds the SHA-256 of the URL key while a case takes new reports and NULL
after it is closed by `removed` or `content_gone`; its unique index makes
insert-on-conflict safe. (A hash, because a key may be longer than an index entry.)
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_unassigned", "unassigned", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    url_key: str = Field(sa_column=Column(Text, nullable=False))
    url_hash: str = Field(max_length=64, index=True)
    open_url_hash: str | None = Field(
        default=None, sa_column=Column(String(64), unique=True, nullable=True)
    )
    status: str = Field(max_length=32)
    reporter_id: str = Field(max_length=19)
    content_id: str = Field(max_length=40, index=True)
    assessment: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    hosting_ip: str | None = Field(default=None, max_length=45)
    hosting_country: str | None = Field(default=None, max_length=2)
    hosting_source: str = Field(max_length=16)
    hosting_cdn: str | None = Field(default=None, max_length=32)
    hosting_asn: int | None = Field(default=None, sa_column=Column(BigInteger))
    hosting_network: str | None = Field(default=None, max_length=200)
    routing_reason: str = Field(max_length=32)
    unassigned: bool = False
    active_referral_id: str | None = Field(default=None, max_length=40)
    previous_case_id: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    # Set when retention erased the URL, addresses and hashes (hub/retention).
    purged_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class CaseReporter(SQLModel, table=True):
    """Every hotline that reported a case follows its status."""

    __tablename__ = "case_reporters"

    case_id: str = Field(sa_column=Column(String(40), ForeignKey("cases.id"), primary_key=True))
    hotline_id: str = Field(primary_key=True, max_length=19, index=True)
    joined_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
