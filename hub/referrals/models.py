"""Tables of referrals (a case handed to one hotline) and every status change they went through."""

from datetime import datetime

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from hub.db import BigId, UtcDateTime


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_to_id", "to_hotline", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(max_length=40, index=True)
    to_hotline: str = Field(max_length=19)
    status: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    status_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    removed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    rerouted_from: str | None = Field(default=None, max_length=40)


class StatusChange(SQLModel, table=True):
    """History of a case's status; `request_id` (webhook-id) stops a replayed update."""

    __tablename__ = "status_changes"

    seq: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    case_id: str = Field(max_length=40, index=True)
    referral_id: str | None = Field(default=None, max_length=40, index=True)
    status: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    actor: str = Field(max_length=64)
    request_id: str | None = Field(
        default=None, sa_column=Column(String(256), unique=True, nullable=True)
    )


class ReferralAction(SQLModel, table=True):
    """An action the referral's hotline took that leaves the status alone (ICCAM's LEA/ISP)."""

    __tablename__ = "referral_actions"

    id: str = Field(primary_key=True, max_length=40)
    referral_id: str = Field(max_length=40, index=True)
    case_id: str = Field(max_length=40, index=True)
    action: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    actor: str = Field(max_length=64)
    request_id: str | None = Field(
        default=None, sa_column=Column(String(256), unique=True, nullable=True)
    )


class SeenRequest(SQLModel, table=True):
    """Every verified webhook-id of a status update, applied or refused: used once only.

    `request_id` is a digest of the hotline id and webhook-id, so no sender text is kept.
    """

    __tablename__ = "seen_requests"

    request_id: str = Field(primary_key=True, max_length=64)
    seen_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
