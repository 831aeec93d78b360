"""Report intake rules beyond the schema, hosting lookup, and reading reports back.

Recording a batch of checked reports is `hub.reports.intake`; this module is what it
and the routers share.
"""

import hashlib
import ipaddress
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical import canonical_json
from hub.cases.models import Case
from hub.cases.service import Hosted, hosting_of
from hub.errors import Invalid, NotFound, field_error
from hub.geo.cdn import HostingNetworks
from hub.geo.country import CountryLookup
from hub.geo.resolver import HostResolver
from hub.lists.lookup import ListPdqIndex
from hub.matching.service import PdqIndex
from hub.reports.models import Report
from hub.urls import InvalidUrl, IPAddress, NormalisedUrl, is_public_ip, normalise_url
from schemas.reports import ReportIn, ReportOut


@dataclass(frozen=True)
class Intake:
    """What intake needs besides a session: name resolution, geolocation, PDQ matching."""

    resolver: HostResolver
    countries: CountryLookup
    pdq_index: PdqIndex
    pdq_threshold: int
    networks: HostingNetworks | None = None  # None: no CDN or network lookup at all
    list_index: ListPdqIndex = field(default_factory=ListPdqIndex)


@dataclass(frozen=True)
class Hosting:
    ip: str | None
    country: str | None
    source: str  # "reported" | "resolved" | "unresolvable" | "origin"
    cdn: str | None = None  # the CDN in front of the URL (its edge address)
    asn: int | None = None  # the network of `ip`, where an ASN database is configured
    network: str | None = None

    @property
    def behind_cdn(self) -> bool:
        """Routed by the CDN: the origin is unknown until that CDN's hotline finds it."""
        return self.cdn is not None and self.source != "origin"


@dataclass(frozen=True)
class Checked:
    """A report that passed every edge rule, with its URL key and idempotency digest."""

    body: ReportIn
    url: NormalisedUrl
    hosting_ip: IPAddress | None
    digest: str
    origin_ip: IPAddress | None = None


def check(
    body: ReportIn, loc: tuple[str | int, ...] = ("body",), networks: HostingNetworks | None = None
) -> Checked:
    """Rules that need more than the schema: the URL, the hosting and origin addresses."""
    errors: list[dict[str, Any]] = []
    url = None
    try:
        url = normalise_url(body.url)
    except InvalidUrl as exc:
        errors.append(field_error([*loc, "url"], str(exc)))
    hosting_ip = _public_ip(body.hosting_ip, [*loc, "hosting_ip"], errors)
    origin_ip = _public_ip(body.origin_ip, [*loc, "origin_ip"], errors)
    if origin_ip is not None and networks is not None:
        provider = networks.lookup(origin_ip).cdn
        if provider is not None:
            errors.append(
                field_error(
                    [*loc, "origin_ip"], f"is an address of {provider.name}, not an origin server"
                )
            )
    if errors:
        raise Invalid(errors)
    canonical = canonical_json(body.model_dump(mode="json", exclude_none=True))
    digest = hashlib.sha256(canonical).hexdigest()
    return Checked(body, url, hosting_ip, digest, origin_ip)  # type: ignore[arg-type]


def _public_ip(value: str | None, loc: list[str | int], errors: list[Any]) -> IPAddress | None:
    if value is None:
        return None
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        errors.append(field_error(loc, "is not an IPv4 or IPv6 address"))
        return None
    # A zone id (`%…`) is free text; other spellings would split one address in two.
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        errors.append(field_error(loc, "must not carry a zone id"))
    elif str(ip) != value:
        errors.append(field_error(loc, f"must be written as '{ip}'"))
    elif not is_public_ip(ip):
        errors.append(field_error(loc, "must be a public unicast address"))
    else:
        return ip
    return None


# A batch's answer stays bounded: a few errors per item, each location part kept short
# (an unknown field's name is the sender's text, echoed back in `loc`).
MAX_ITEM_ERRORS = 5
MAX_LOC_PART = 64


def parse_item(item: Any, index: int, networks: HostingNetworks | None = None) -> Checked:
    """One batch item: the schema, then `check`, with locations inside the batch."""
    loc: tuple[str | int, ...] = ("body", "reports", index)
    try:
        body = ReportIn.model_validate(item)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise Invalid(
            [
                field_error([*loc, *(_short(part) for part in e["loc"])], e["msg"])
                for e in errors[:MAX_ITEM_ERRORS]
            ],
            detail=f"{len(errors)} field(s) are not valid"
            + (
                f"; the first {MAX_ITEM_ERRORS} are listed" if len(errors) > MAX_ITEM_ERRORS else ""
            ),
        ) from None
    return check(body, loc, networks)


def _short(part: str | int) -> str | int:
    if isinstance(part, str) and len(part) > MAX_LOC_PART:
        return part[:MAX_LOC_PART] + "…"
    return part


def locate(
    intake: Intake,
    hosting_ip: IPAddress | None,
    host: str,
    host_ip: IPAddress | None,
    origin_ip: IPAddress | None = None,
) -> Hosting:
    """The hosting address, its country, the CDN in front of it and its network; DNS is
    only asked when no address was given."""
    if hosting_ip is not None:
        edge, source = hosting_ip, "reported"
    else:
        edge = host_ip or intake.resolver.resolve(host)
        source = "resolved" if edge is not None else "unresolvable"
    networks = intake.networks
    cdn = networks.lookup(edge).cdn if networks is not None and edge is not None else None
    ip = edge
    if origin_ip is not None:
        ip, source = origin_ip, "origin"
    if ip is None:
        return Hosting(None, None, "unresolvable")
    found = networks.lookup(ip) if networks is not None else None
    network = found.network if found is not None else None
    hosting = Hosting(
        str(ip),
        None,
        source,
        cdn.id if cdn is not None else None,
        network.asn if network is not None else None,
        network.name if network is not None else None,
    )
    # Behind a CDN the edge's country says nothing of where the material is hosted.
    country = None if hosting.behind_cdn else intake.countries.country(ip)
    return replace(hosting, country=country)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


class ReportFields(Hosted, Protocol):
    """What a report's answer shows: a stored `Report`, or the fields intake just wrote
    (an ORM object per report costs more than the rest of its intake)."""

    id: str
    reference: str
    received_at: datetime
    opened_case: bool
    content_id: str | None
    content_known: bool
    match: dict[str, Any] | None
    routing_to: str | None
    routing_referral: str | None
    routing_reason: str


def to_wire(report: ReportFields, case: Case) -> ReportOut:
    return ReportOut.model_validate(
        {
            "id": report.id,
            "reference": report.reference,
            "received_at": report.received_at,
            "case": {"id": case.id, "opened": report.opened_case, "status": case.status},
            "content": {
                "id": report.content_id,
                "known": report.content_known,
                "match": report.match,
            },
            "hosting": hosting_of(report),
            "routing": {
                "to": report.routing_to,
                "referral": report.routing_referral,
                "reason": report.routing_reason,
            },
        }
    )


def get_own(session: Session, hotline_id: str, report_id: str) -> ReportOut:
    report = session.get(Report, report_id)
    if report is None or report.hotline_id != hotline_id:
        raise NotFound(f"no report '{report_id}'")
    case = session.get(Case, report.case_id)
    assert case is not None
    return to_wire(report, case)


def list_own(session: Session, hotline_id: str, after: str | None, limit: int) -> list[ReportOut]:
    query = (
        select(Report, Case)
        .join(Case, Case.id == Report.case_id)
        .where(Report.hotline_id == hotline_id)
        .order_by(Report.id)
        .limit(limit)
    )
    if after:
        query = query.where(Report.id > after)
    return [to_wire(report, case) for report, case in session.execute(query).all()]
