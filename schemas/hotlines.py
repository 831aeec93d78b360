"""Administration wire models: hotlines, routes and tokens (docs/protocol.md section 2)."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator

from schemas.common import CountryCode, HotlineId, Name, OutModel, Timestamp, WireModel

# The pattern is the canonical base64 of 32 bytes (its last digit has zero padding bits);
# it is for the OpenAPI document: the hub checks keys itself, naming what is wrong.
PublicKey = Annotated[
    str,
    Field(
        min_length=44,
        max_length=44,
        examples=["base64 of 32 bytes"],
        json_schema_extra={"pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"},
    ),
]
Countries = Annotated[list[CountryCode], Field(min_length=1, max_length=50)]


def _unique_countries(countries: list[str] | None) -> list[str] | None:
    if countries is not None and len(set(countries)) != len(countries):
        raise ValueError("lists a country twice")
    return countries


class HotlineIn(WireModel):
    id: HotlineId
    name: Name
    countries: Countries
    webhook_url: Annotated[str, Field(max_length=2048)] | None = None
    public_keys: Annotated[list[PublicKey], Field(max_length=8, default_factory=list)]

    _countries = field_validator("countries")(_unique_countries)


class HotlinePatch(WireModel):
    name: Name | None = None
    countries: Countries | None = None
    webhook_url: Annotated[str, Field(max_length=2048)] | None = None
    public_keys: Annotated[list[PublicKey], Field(max_length=8)] | None = None
    active: bool | None = None

    _countries = field_validator("countries")(_unique_countries)


class HotlineOut(OutModel):
    id: HotlineId
    name: str
    countries: list[CountryCode]
    webhook_url: str | None
    public_keys: list[str]
    active: bool
    created_at: Timestamp


class RouteIn(WireModel):
    hotline: HotlineId


class RouteOut(OutModel):
    country: CountryCode
    hotline: HotlineId
    # 1.1: "fallback" when no member hotline serves the country and this hotline takes it.
    kind: Literal["primary", "fallback"] = "primary"


CdnProvider = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")]


class CdnRouteOut(OutModel):
    """1.1: the hotline for cases behind one CDN or reverse proxy."""

    provider: CdnProvider
    name: str
    country: CountryCode  # the provider's home country, whose hotline is the default
    hotline: HotlineId


class PrincipalKind(StrEnum):
    hotline = "hotline"
    admin = "admin"
    auditor = "auditor"


Subject = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class TokenIn(WireModel):
    principal: PrincipalKind
    subject: Subject
    expires_at: Timestamp | None = None


class TokenOut(OutModel):
    id: str
    principal: PrincipalKind
    subject: str
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None = None


class TokenCreated(TokenOut):
    token: str
