"""The FastAPI application: routers, RFC 9457 error handlers, body limits, lifespan.

`create_app(settings)` is what `python -m hub serve` runs and what tests start.
"""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from hub import docs_ui, jobs, openapi, problems
from hub.auth.router import router as tokens_router
from hub.console.router import router as console_router
from hub.console.web import install as install_console
from hub.delivery.router import router as delivery_router
from hub.errors import HubError
from hub.hotlines.router import router as hotlines_router
from hub.limits import BodyLimits
from hub.lists.router import router as lists_router
from hub.log.router import router as log_router
from hub.metrics.health import router as health_router
from hub.metrics.middleware import RequestMetrics
from hub.metrics.router import router as metrics_router
from hub.migrate import upgrade
from hub.outage import is_outage
from hub.referrals.router import router as referrals_router
from hub.reports.router import router as reports_router
from hub.retry import RetryLostLocks
from hub.settings import Settings
from hub.state import HubState, build_state
from hub.stats.router import router as stats_router
from hub.strictjson import check_raw_input

logger = logging.getLogger("hub")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: HubState = app.state.hub
    upgrade(state.database.engine)
    stop = threading.Event()
    threads = [
        threading.Thread(target=job, args=(state, stop), name=f"hub-{job.__name__}", daemon=True)
        for job in jobs.of(state)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        state.database.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    state = build_state(settings or Settings())
    app = FastAPI(
        title="Hotline Exchange Hub",
        version="1.1",
        summary="Hash-only exchange of CSAM reports between national hotlines (protocol v1.1).",
        lifespan=_lifespan,
        dependencies=[Depends(check_raw_input)],
        docs_url=None,  # served from the hub's own files by docs_ui
        redoc_url=None,
    )
    app.state.hub = state
    app.add_exception_handler(HubError, problems.on_hub_error)
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)
    app.add_exception_handler(HTTPException, problems.on_http_error)
    app.add_exception_handler(SQLAlchemyError, problems.on_database_error)
    app.add_exception_handler(psycopg.Error, problems.on_database_error)
    app.add_exception_handler(Exception, problems.on_unexpected)
    app.add_middleware(RetryLostLocks)  # inside BodyLimits: only bounded bodies are held
    app.add_middleware(BodyLimits)
    app.add_middleware(RequestMetrics, tally=state.tally)
    for router in (tokens_router, hotlines_router, reports_router, referrals_router, stats_router):
        app.include_router(router)
    app.include_router(log_router)
    app.include_router(delivery_router)
    app.include_router(lists_router)
    install_console(app, console_router)
    app.include_router(health_router)
    app.include_router(metrics_router)
    docs_ui.install(app)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        """200 when the database answers; 503 otherwise. No token needed."""
        try:
            with state.database.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            if is_outage(exc):
                state.database.outage.failed(exc)  # logged once for the whole outage
            else:
                logger.warning("health check failed: %s", type(exc).__name__)
            raise problems.unavailable() from None
        return JSONResponse({"status": "ok"})

    openapi.install(app)
    return app
