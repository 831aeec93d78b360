"""Reports: what a hotline submits (`ReportIn`) and what the hub answers (`ReportOut`).

Every rule of docs/protocol.md section 4's field table that needs no server state is here.
"""

import base64
import binascii
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, field_validator

from schemas.common import CountryCode, HotlineId, OutModel, Problem, Timestamp, WireModel

CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_OBSERVATION = datetime(1996, 1, 1, tzinfo=UTC)
MAX_BATCH = 1000


class ContentKind(StrEnum):
    image = "image"
    video = "video"
    archive = "archive"
    other = "other"


class Classification(StrEnum):
    baseline = "baseline"
    national = "national"
    not_assessed = "not_assessed"


class AgeGroup(StrEnum):
    infant = "infant"
    prepubescent = "prepubescent"
    pubescent = "pubescent"
    unknown = "unknown"


class SiteType(StrEnum):
    image_host = "image_host"
    file_host = "file_host"
    forum = "forum"
    social = "social"
    website = "website"
    blog = "blog"
    chat = "chat"
    banner = "banner"
    redirector = "redirector"
    other = "other"
    # Protocol 1.1: ICCAM's site types that had no value here (docs/protocol.md section 4).
    image_board = "image_board"
    video_channel = "video_channel"
    link_site = "link_site"
    web_archive = "web_archive"
    p2p = "p2p"
    newsgroup = "newsgroup"


class Gender(StrEnum):
    female = "female"
    male = "male"
    both = "both"
    unknown = "unknown"


Hex64 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]
Hex40 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{40}$")]
Hex32 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{32}$")]


class _LowerHex(WireModel):
    @field_validator("value", check_fields=False)
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class Sha256(_LowerHex):
    alg: Literal["sha256"]
    value: Hex64


class Sha1(_LowerHex):
    alg: Literal["sha1"]
    value: Hex40


class Md5(_LowerHex):
    alg: Literal["md5"]
    value: Hex32


class Pdq(_LowerHex):
    alg: Literal["pdq"]
    value: Hex64
    quality: Annotated[StrictInt, Field(ge=0, le=100)]


class PhotoDna(WireModel):
    alg: Literal["photodna"]
    value: Annotated[str, Field(max_length=200)]

    @field_validator("value")
    @classmethod
    def _exactly_144_bytes(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("must be base64") from None
        if len(raw) != 144:
            raise ValueError(f"must decode to exactly 144 bytes, not {len(raw)}")
        return base64.b64encode(raw).decode()


ContentHash = Annotated[Sha256 | Sha1 | Md5 | Pdq | PhotoDna, Field(discriminator="alg")]


class Content(WireModel):
    kind: ContentKind
    hashes: Annotated[list[ContentHash], Field(min_length=1, max_length=16)]

    @field_validator("hashes")
    @classmethod
    def _one_per_algorithm(cls, hashes: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for entry in hashes:
            if entry.alg in seen:
                raise ValueError(f"more than one '{entry.alg}' hash; at most one per alg")
            seen.add(entry.alg)
        return hashes


class Assessment(WireModel):
    classification: Classification
    age_group: AgeGroup
    # Protocol 1.1, optional: left out (or null) when the hotline did not record it.
    gender: Gender | None = None
    virtual: bool | None = None  # drawn, CGI or AI-generated
    commercial: bool | None = None


Reference = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x20-\x7e]+$")]


class ReportIn(WireModel):
    reference: Reference
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    content: Content
    assessment: Assessment
    site_type: SiteType
    observed_at: Timestamp
    hosting_ip: Annotated[str, Field(max_length=45)] | None = None
    origin_ip: Annotated[str, Field(max_length=45)] | None = None  # 1.1: behind a CDN

    @field_validator("observed_at")
    @classmethod
    def _plausible_observation(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("is in the future (5 minutes of clock skew are allowed)")
        if value < EARLIEST_OBSERVATION:
            raise ValueError("is before 1996")
        return value


class BatchIn(WireModel):
    # Items are validated one by one by the hub so one bad item (even one that is not an
    # object) never rejects the others.
    reports: Annotated[list[Any], Field(min_length=1)]


class CaseRef(OutModel):
    id: str
    opened: bool
    status: str


class ListHit(OutModel):
    """A hash list that holds the content, and the category it gives it."""

    id: str
    category: str | None = None


class ContentMatch(OutModel):
    alg: str
    distance: int
    content: str
    lists: list[ListHit] = Field(default_factory=list)


class ContentRef(OutModel):
    id: str
    known: bool
    match: ContentMatch | None = None


class Network(OutModel):
    asn: int
    name: str | None = None


class Hosting(OutModel):
    ip: str | None = None
    country: CountryCode | None = None
    source: Literal["reported", "resolved", "unresolvable", "origin"]
    cdn: str | None = None  # 1.1: the CDN or reverse proxy in front of the URL
    network: Network | None = None  # 1.1: null without an ASN database


class Routing(OutModel):
    to: HotlineId | None = None
    referral: str | None = None
    reason: Literal[
        "hosting_country", "domestic", "no_member_hotline", "unresolvable", "cdn", "fallback"
    ]


class ReportOut(OutModel):
    id: str
    reference: str
    received_at: Timestamp
    case: CaseRef
    content: ContentRef
    hosting: Hosting
    routing: Routing


class BatchReport(ReportOut):
    """A batch result that is a report: `status` is 201 (new) or 200 (replay)."""

    status: Literal[200, 201]


class BatchOut(OutModel):
    """Results in the order of the request: a report with its status, or a problem."""

    results: list[BatchReport | Problem]
