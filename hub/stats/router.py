"""`GET /v1/stats` (admin)."""

from typing import Any

from fastapi import APIRouter

from hub.deps import AdminDep, ReadSession
from hub.stats import service

router = APIRouter(tags=["administration"])


@router.get("/v1/stats")
def stats(who: AdminDep, session: ReadSession) -> dict[str, Any]:
    """Counts by hosting country, hotline and status."""
    return service.counts(session)
