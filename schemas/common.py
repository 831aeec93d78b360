"""Building blocks every wire model uses: strict base model, UTC timestamps, pages.

Timestamps are RFC 3339 UTC with `Z`; an input without a time zone is rejected.
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

# A display name (a hotline's, a hash list's): no control characters, which PostgreSQL
# text cannot hold (NUL) and no log or page should carry.
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
T = TypeVar("T")


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with `Z`, microseconds only when present."""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


# RFC 3339 in UTC as the protocol writes it: `T`, seconds, optional fraction, upper-case `Z`.
_WIRE_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z"
)


def _wire_timestamp(value: object) -> object:
    """A JSON timestamp must be such a string; a datetime given in Python passes as it is."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _WIRE_TIMESTAMP.fullmatch(value):
        raise ValueError("must be an RFC 3339 UTC timestamp ending in Z, e.g. 2026-11-24T09:30:00Z")
    return value


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_wire_timestamp),
    AfterValidator(_to_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]

HotlineId = Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{2,16}$", examples=["GB-IWF"])]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["NL"])]


class WireModel(BaseModel):
    """Request bodies: unknown fields are rejected so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class OutModel(BaseModel):
    """Response bodies: clients ignore fields they do not know (forward compatible)."""

    model_config = ConfigDict(extra="ignore")


class Page(OutModel, Generic[T]):
    items: list[T]
    next: str | None = None


class FieldError(OutModel):
    loc: list[str | int]
    msg: str


class Problem(OutModel):
    """RFC 9457 problem details, as every error of the hub is sent."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
