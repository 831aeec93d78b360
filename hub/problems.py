"""RFC 9457 answers: every error the hub sends is built here, from a domain exception,
a request validation error or an HTTP error; never a stack trace.
"""

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from hub.allow import allowed_methods
from hub.errors import (
    PROBLEM_BASE,
    HubError,
    Invalid,
    MalformedBody,
    TooLarge,
    Unavailable,
)
from hub.outage import is_outage
from hub.retry import lost_a_lock

MEDIA_TYPE = "application/problem+json"
# Seconds a client is asked to wait while the database is unreachable: about a restart.
RETRY_AFTER = 2
logger = logging.getLogger("hub.problems")


def problem_response(error: HubError) -> JSONResponse:
    return JSONResponse(
        error.problem(), status_code=error.status, media_type=MEDIA_TYPE, headers=error.headers()
    )


def _loc(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def from_validation(exc: RequestValidationError) -> HubError:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {})
        return MalformedBody(
            str(detail.get("error", "could not be parsed")),
            errors=[{"loc": ["body"], "msg": "is not valid JSON"}],
        )
    return Invalid([{"loc": _loc(e["loc"]), "msg": e["msg"]} for e in errors])


async def on_hub_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    return problem_response(exc)


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(from_validation(exc))


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 413:
        return problem_response(TooLarge(str(exc.detail)))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    body = {
        "type": "about:blank" if exc.status_code != 405 else PROBLEM_BASE + "method-not-allowed",
        "title": _TITLES.get(exc.status_code, "Error"),
        "status": exc.status_code,
        "detail": str(exc.detail),
    }
    return JSONResponse(body, status_code=exc.status_code, media_type=MEDIA_TYPE, headers=headers)


def unavailable() -> Unavailable:
    return Unavailable(
        "the hub cannot reach its database; try again shortly", retry_after=RETRY_AFTER
    )


async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """An outage is 503 with Retry-After, logged once per outage; a lost deadlock goes on
    to `hub.retry`, which runs the request again; anything else a 500."""
    if lost_a_lock(exc):
        raise exc
    if is_outage(exc):
        request.app.state.hub.database.outage.failed(exc)
        return problem_response(unavailable())
    return await on_unexpected(request, exc)


async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    if is_outage(exc):  # one that surfaced outside a route, wrapped in something else
        return problem_response(unavailable())
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(HubError("the hub hit an internal error; it has been logged"))


_TITLES = {404: "Not found", 405: "Method not allowed", 400: "Bad request"}
