"""Referrals, cases and status updates (docs/protocol.md sections 5 and 6)."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from schemas.common import CountryCode, HotlineId, OutModel, Timestamp, WireModel
from schemas.reports import CLOCK_SKEW, EARLIEST_OBSERVATION, Hosting


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
    # The object updated, as in the path; required when the update is signed (binds it).
    referral: Annotated[str, Field(max_length=40)] | None = None
    case: Annotated[str, Field(max_length=40)] | None = None

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("is in the future (5 minutes of clock skew are allowed)")
        if value < EARLIEST_OBSERVATION:
            raise ValueError("is before 1996")
        return value

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


class CaseStatusChanged(OutModel):
    """`data` of a `case.status_changed` event, sent to every reporter of the case."""

    case: str
    referral: str | None  # the case's active referral; null for a domestic or unassigned case
    status: Status
    occurred_at: Timestamp
    previous_status: Status
    rerouted_from: str | None = None  # set when the change is a reroute: the referral it ended


class ReferralRerouted(OutModel):
    """`data` of a `referral.rerouted` event, sent to the old and the new hotline."""

    case: str
    referral: str | None  # the referral that was rerouted; null when a domestic case was
    new_referral: str | None  # null when the case went domestic or to the unassigned queue
    country: CountryCode


class ReferralActionKind(StrEnum):
    """1.1: what a referral's hotline did that leaves the status alone (ICCAM's LEA, ISP)."""

    law_enforcement_notified = "law_enforcement_notified"
    host_notified = "host_notified"


class ActionIn(WireModel):
    action: ReferralActionKind
    occurred_at: Timestamp
    # The referral, as in the path; required when the action is signed (binds it).
    referral: Annotated[str, Field(max_length=40)] | None = None

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        return StatusIn._plausible_time(value)


class ActionOut(OutModel):
    """An action as `POST /v1/referrals/{id}/actions` answers it and the
    `referral.action` event carries it."""

    id: str
    referral: str
    case: str
    action: ReferralActionKind
    occurred_at: Timestamp
    recorded_at: Timestamp
