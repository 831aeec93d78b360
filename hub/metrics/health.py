"""`GET /readyz`: whether this process can do its work, and if not, what is missing.

Liveness is `/healthz` (the database answers). Readiness also needs the signing key
and, on PostgreSQL, a delivery worker seen recently (in-process or `hub worker`).
"""

import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text

from hub.clock import utcnow
from hub.deps import StateDep
from hub.errors import PROBLEM_BASE
from hub.metrics import heartbeat
from hub.metrics.models import WorkerHeartbeat
from hub.problems import MEDIA_TYPE
from hub.state import HubState

logger = logging.getLogger("hub.metrics")
router = APIRouter(tags=["operations"])


@router.get("/readyz")
def readyz(state: StateDep) -> JSONResponse:
    """200 with every check `ok`; 503 with `missing` naming what is not there. No token."""
    checks = readiness(state)
    missing = [name for name, outcome in checks.items() if outcome != "ok"]
    if not missing:
        return JSONResponse({"status": "ready", "checks": checks})
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + "unavailable",
        "title": "Service unavailable",
        "status": 503,
        "detail": "not ready: " + ", ".join(missing),
        "missing": missing,
        "checks": checks,
    }
    return JSONResponse(body, status_code=503, media_type=MEDIA_TYPE)


def readiness(state: HubState) -> dict[str, str]:
    checks = {"database": _database(state), "signing_key": _key(state)}
    if not state.settings.is_sqlite:
        checks["worker"] = _worker(state) if checks["database"] == "ok" else "unknown"
    return checks


def _database(state: HubState) -> str:
    try:
        with state.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        logger.warning("readiness: database: %s", type(exc).__name__)
        return "unreachable"
    return "ok"


def _key(state: HubState) -> str:
    try:
        state.current_key()
    except Exception as exc:
        logger.warning("readiness: signing key: %s", type(exc).__name__)
        return "unreadable"
    return "ok"


def _worker(state: HubState) -> str:
    since = utcnow() - timedelta(seconds=heartbeat.STALE_AFTER)
    try:
        with state.database.session(write=False) as session:
            seen = session.scalar(select(func.count()).where(WorkerHeartbeat.seen_at >= since))
    except Exception as exc:
        logger.warning("readiness: worker: %s", type(exc).__name__)
        return "unknown"
    return "ok" if seen else f"no delivery worker seen in {heartbeat.STALE_AFTER:.0f} s"
