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


class StatsOut(OutModel):
    cases: CaseCounts
    referrals: ReferralCounts
    by_country: dict[str, dict[str, int]] = Field(description="cases by country, then status")
    referrals_by_hotline: dict[str, dict[str, int]]
    reports_by_hotline: dict[str, int]
    time_to_referral: Timing
    time_to_removal: Timing
