"""The table of reports: one per (hotline, reference), each joined to the case of its URL."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime


class Report(SQLModel, table=True):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("hotline_id", "reference", name="uq_reports_hotline_reference"),
        Index("ix_reports_hotline_id", "hotline_id", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    hotline_id: str = Field(max_length=19)
    reference: str = Field(max_length=128)
    body_digest: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    observed_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    site_type: str = Field(max_length=16)
    case_id: str | None = Field(default=None, max_length=40, index=True)
    opened_case: bool = False
    content_id: str | None = Field(default=None, max_length=40)
    content_known: bool = False
    content_listed: bool = False
    match: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    hosting_ip: str | None = Field(default=None, max_length=45)
    hosting_country: str | None = Field(default=None, max_length=2)
    hosting_source: str = Field(default="unresolvable", max_length=16)
    hosting_cdn: str | None = Field(default=None, max_length=32)
    hosting_asn: int | None = Field(default=None, sa_column=Column(BigInteger))
    hosting_network: str | None = Field(default=None, max_length=200)
    routing_to: str | None = Field(default=None, max_length=19)
    routing_referral: str | None = Field(default=None, max_length=40)
    routing_reason: str = Field(default="unresolvable", max_length=32)
