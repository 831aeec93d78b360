"""Exceptions of the SDK: the hub's RFC 9457 problems as typed errors, and the failures
of verifying what the hub signed (webhooks, checkpoints, proofs, log entries)."""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx
from pydantic import ValidationError

from schemas.common import FieldError

__all__ = [
    "AuditError",
    "BadRequest",
    "BadSignature",
    "Conflict",
    "EntryMismatch",
    "Forbidden",
    "Fork",
    "HubError",
    "InvalidInput",
    "KeyMismatch",
    "NetworkError",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "Rollback",
    "ServerError",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "WebhookVerificationError",
]


class HubError(Exception):
    """The hub answered with a problem (`.status`, `.problem`), or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem: dict[str, Any] | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.problem: dict[str, Any] = problem or {}
        self.response = response

    @property
    def type(self) -> str | None:
        return self.problem.get("type")

    @property
    def title(self) -> str | None:
        return self.problem.get("title")

    @property
    def detail(self) -> str | None:
        return self.problem.get("detail")


class NetworkError(HubError):
    """No answer: the connection failed or timed out (after the retries allowed)."""


class BadRequest(HubError):
    """400: the body is not JSON, or the request is malformed."""


class Unauthorized(HubError):
    """401: missing, invalid, expired or revoked token, or a missing/bad signature."""


class Forbidden(HubError):
    """403: this principal may not call this endpoint."""


class NotFound(HubError):
    """404: no such object, or it belongs to someone else."""


class Conflict(HubError):
    """409: conflicts with the current state; `.allowed` lists the allowed next states."""

    @property
    def allowed(self) -> list[str] | None:
        allowed = self.problem.get("allowed")
        return list(allowed) if isinstance(allowed, list) else None


class PayloadTooLarge(HubError):
    """413: a report over 64 KiB, a batch over 1000 reports or 8 MiB."""


class UnsupportedMediaType(HubError):
    """415: the body was not sent as JSON."""


class UnprocessableEntity(HubError):
    """422: fields are not valid; `.errors` names each as a `FieldError` (`.loc`, `.msg`),
    the shape of `RejectedReport.errors`; `str()` lists them."""

    @property
    def errors(self) -> list[FieldError]:
        errors = self.problem.get("errors")
        if not isinstance(errors, list):
            return []
        return [FieldError.model_validate(e) for e in errors if isinstance(e, dict) and "loc" in e]

    def __str__(self) -> str:
        return _with_fields(super().__str__(), self.problem.get("errors") or [])


class InvalidInput(UnprocessableEntity, ValueError):
    """The SDK refused a request before sending it, as the hub would have with a 422."""

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: list[str | int]) -> InvalidInput:
        fields = [
            {"loc": [*prefix, *e["loc"]], "msg": e["msg"]} for e in error.errors(include_url=False)
        ]
        problem = {
            "type": "about:blank",
            "title": "Unprocessable Entity",
            "status": 422,
            "errors": fields,
        }
        return cls("invalid input", status=422, problem=problem)


class RateLimited(HubError):
    """429: over the per-principal rate; `.retry_after` is the wait in seconds."""

    @property
    def retry_after(self) -> float | None:
        if self.response is None:
            return None
        return parse_retry_after(self.response.headers.get("retry-after"))


class ServerError(HubError):
    """5xx: the hub failed (after the retries allowed for this call)."""


_BY_STATUS: dict[int, type[HubError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: UnprocessableEntity,
    429: RateLimited,
}


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The problem document of an error answer; one is made up when the body is not one."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and "status" in body and "title" in body:
        return body
    return {
        "type": "about:blank",
        "title": response.reason_phrase or "Error",
        "status": response.status_code,
        "detail": response.text[:200] if response.text else None,
    }


def from_response(response: httpx.Response) -> HubError:
    """The exception for an error answer of the hub."""
    problem = problem_of(response)
    status = response.status_code
    kind = _BY_STATUS.get(status) or (ServerError if status >= 500 else HubError)
    title = problem.get("title") or response.reason_phrase
    detail = problem.get("detail")
    message = f"{status} {title}" + (f": {detail}" if detail and detail != title else "")
    return kind(message, status=status, problem=problem, response=response)


def _with_fields(message: str, fields: list[Any]) -> str:
    """The message and each bad field, as `loc: msg`."""
    named = [
        f"{'.'.join(str(p) for p in f.get('loc', []))}: {f.get('msg')}"
        for f in fields
        if isinstance(f, dict)
    ]
    return f"{message} ({'; '.join(named)})" if named else message


class WebhookVerificationError(Exception):
    """A webhook (or a pulled event) is not signed by the hub, or is too old or too new."""


class AuditError(Exception):
    """The hub's log failed verification: what the auditor must look into."""


class BadSignature(AuditError):
    """The checkpoint is not signed by the pinned key."""


class KeyMismatch(AuditError):
    """The pinned key is not the key recorded in the state file, or names another log."""


class Rollback(AuditError):
    """The hub serves a smaller tree than one it signed before."""


class Fork(AuditError):
    """The hub serves a tree that does not extend the one it signed before."""


class EntryMismatch(AuditError):
    """The log entries do not hash to the signed root, or do not match their events."""
