"""`GET /v1/stats` (admin)."""

from typing import Any

from fastapi import APIRouter

from hub.deps import AdminDep, ReadSession
from hub.stats import records, service
from schemas.stats import StatsOut

router = APIRouter(tags=["administration"])


@router.get("/v1/stats", response_model=StatsOut)
def stats(who: AdminDep, session: ReadSession) -> dict[str, Any]:
    """Counts by hosting country, hotline and status; time to referral and to removal
    (p50/p90 in seconds) overall, by hosting country and by hotline; 1.1: by hosting
    network, time to law enforcement, notices before removal, by assessment (docs/stats.md)."""
    return {**service.statistics(session), **records.records(session)}
