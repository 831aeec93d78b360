"""Referrals, cases and status updates (PROTOCOL.md sections 5 and 6)."""

from enum import StrEnum
from typing import Any

from pydantic import model_validator

from schemas.common import CountryCode, HotlineId, OutModel, Timestamp, WireModel
from schemas.reports import Hosting


class Status(StrEnum):
    pending = "pending"
    delivered = "delivered"
    accepted = "accepted"
    notice_sent = "notice_sent"
    law_enforcement_hold = "law_enforcement_hold"
    removed = "removed"
    not_illegal = "not_illegal"
    content_gone = "content_gone"
    rerouted = "rerouted"


class StatusIn(WireModel):
    status: Status
    occurred_at: Timestamp
    country: CountryCode | None = None

    @model_validator(mode="after")
    def _country_only_with_rerouted(self) -> "StatusIn":
        if self.status is Status.rerouted and self.country is None:
            raise ValueError("country is required when status is 'rerouted'")
        if self.status is not Status.rerouted and self.country is not None:
            raise ValueError("country is only allowed when status is 'rerouted'")
        return self


class ReferralOut(OutModel):
    id: str
    case: str
    to: HotlineId
    reporters: list[HotlineId]
    url: str
    content: dict[str, Any]
    assessment: dict[str, Any]
    hosting: Hosting
    status: Status
    created_at: Timestamp
    previous_case: str | None = None


class CaseOut(OutModel):
    """A case as the admin's unassigned queue and a domestic reporter see it."""

    id: str
    url: str
    status: Status
    hosting: Hosting
    routing_reason: str
    reporters: list[HotlineId]
    referral: str | None = None
    created_at: Timestamp
    previous_case: str | None = None


class RouteCaseIn(WireModel):
    hotline: HotlineId
