"""Domain exceptions raised by services; app.py turns each into an RFC 9457 problem.

Services never raise HTTP exceptions: a status and a problem type live here, once.
"""

from typing import Any

PROBLEM_BASE = "urn:hotline-hub:problem:"


class HubError(Exception):
    status = 500
    slug = "internal"
    title = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extra = extra

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return body

    def headers(self) -> dict[str, str]:
        return {}


class Invalid(HubError):
    """Bad input: `errors` names every bad field as `{loc, msg}`."""

    status = 422
    slug = "validation"
    title = "Request is not valid"

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None) -> None:
        super().__init__(detail or f"{len(errors)} field(s) are not valid", errors=errors)
        self.errors = errors


class MalformedBody(HubError):
    status = 400
    slug = "malformed-body"
    title = "Request body is not valid JSON"


class Unauthenticated(HubError):
    status = 401
    slug = "unauthenticated"
    title = "Missing, invalid, expired or revoked credentials"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(HubError):
    status = 403
    slug = "forbidden"
    title = "This principal may not call this endpoint"


class NotFound(HubError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(HubError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class TooLarge(HubError):
    status = 413
    slug = "too-large"
    title = "Request is too large"


class UnsupportedMediaType(HubError):
    status = 415
    slug = "unsupported-media-type"
    title = "Request bodies must be application/json"


class RateLimited(HubError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(HubError):
    """503: the database is unavailable (or, for /readyz, a part is `missing`)."""

    status = 503
    slug = "unavailable"
    title = "Service unavailable"

    def __init__(
        self, detail: str | None = None, *, retry_after: int | None = None, **extra: Any
    ) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


def field_error(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg}
