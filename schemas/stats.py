"""`GET /v1/stats`: counts by status, hosting country and hotline, and two timings
(docs/stats.md says how each figure is counted)."""

from pydantic import Field

from schemas.common import OutModel


class CaseCounts(OutModel):
    total: int
    by_status: dict[str, int] = Field(description="a status no case has is left out")
    unassigned: int = Field(description="cases waiting in the admin's unassigned queue")


class ReferralCounts(OutModel):
    total: int
    by_status: dict[str, int]


class Percentiles(OutModel):
    """How many durations, and their nearest-rank percentiles in seconds (null if none)."""

    count: int
    p50: float | None = None
    p90: float | None = None


class Timing(OutModel):
    all: Percentiles
    by_country: dict[str, Percentiles] = Field(default_factory=dict)
    by_hotline: dict[str, Percentiles] = Field(default_factory=dict)


class NetworkRemoval(Percentiles):
    asn: int
    name: str | None = None


class RemovalByNetwork(OutModel):
    time_to_removal: dict[str, NetworkRemoval] = Field(description="keyed by ASN as a string")
    slowest: list[NetworkRemoval] = Field(description="the networks slowest to remove, by p50")


class LawEnforcementTiming(Percentiles):
    within_3_days: int
    share_within_3_days: float | None = None


class NoticesBeforeRemoval(Percentiles):
    mean: float | None = None


class ByAssessment(OutModel):
    cases_by_age_group: dict[str, int]
    cases_by_gender: dict[str, int]
    cases_by_virtual: dict[str, int]
    reports_by_site_type: dict[str, int]
    reports_by_content: dict[str, int] = Field(description="`new` and `known` report counts")


class ContentCounts(OutModel):
    new: int = Field(description="reports whose content was new to the hub")
    known: int = Field(description="reports whose content the hub or a list already knew")
    on_lists: int = Field(description="reports whose content is on a hash list")


class StatsOut(OutModel):
    cases: CaseCounts
    referrals: ReferralCounts
    by_country: dict[str, dict[str, int]] = Field(description="cases by country, then status")
    referrals_by_hotline: dict[str, dict[str, int]]
    reports_by_hotline: dict[str, int]
    time_to_referral: Timing
    time_to_removal: Timing
    content: ContentCounts | None = None
    removal_by_network: RemovalByNetwork | None = None
    time_to_law_enforcement: LawEnforcementTiming | None = None
    notices_before_removal: NoticesBeforeRemoval | None = None
    by_assessment: ByAssessment | None = None
