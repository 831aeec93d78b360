"""Report intake rules beyond the schema, hosting lookup, and reading reports back.

Recording a batch of checked reports is `hub.reports.intake`; this module is what it
and the routers share.
"""

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.canonical import canonical_json
from hub.errors import Invalid, NotFound, field_error
from hub.geo.country import CountryLookup
from hub.geo.resolver import HostResolver
from hub.matching.service import PdqIndex
from hub.reports.models import Case, Report
from hub.reports.urls import InvalidUrl, IPAddress, NormalisedUrl, is_public_ip, normalise_url
from schemas.reports import ReportIn, ReportOut


@dataclass(frozen=True)
class Intake:
    """What intake needs besides a session: name resolution, geolocation, PDQ matching."""

    resolver: HostResolver
    countries: CountryLookup
    pdq_index: PdqIndex
    pdq_threshold: int


@dataclass(frozen=True)
class Hosting:
    ip: str | None
    country: str | None
    source: str  # "reported" | "resolved" | "unresolvable"


@dataclass(frozen=True)
class Checked:
    """A report that passed every edge rule, with its URL key and idempotency digest."""

    body: ReportIn
    url: NormalisedUrl
    hosting_ip: IPAddress | None
    digest: str


def check(body: ReportIn, loc: tuple[str | int, ...] = ("body",)) -> Checked:
    """Rules that need more than the schema: the URL and the hosting address."""
    errors = []
    url = hosting_ip = None
    try:
        url = normalise_url(body.url)
    except InvalidUrl as exc:
        errors.append(field_error([*loc, "url"], str(exc)))
    if body.hosting_ip is not None:
        try:
            hosting_ip = ipaddress.ip_address(body.hosting_ip)
        except ValueError:
            errors.append(field_error([*loc, "hosting_ip"], "is not an IPv4 or IPv6 address"))
        else:
            # A zone id (`%…`) is free text; other spellings would split one address in two.
            if isinstance(hosting_ip, ipaddress.IPv6Address) and hosting_ip.scope_id:
                errors.append(field_error([*loc, "hosting_ip"], "must not carry a zone id"))
            elif str(hosting_ip) != body.hosting_ip:
                errors.append(
                    field_error([*loc, "hosting_ip"], f"must be written as '{hosting_ip}'")
                )
            elif not is_public_ip(hosting_ip):
                errors.append(field_error([*loc, "hosting_ip"], "must be a public unicast address"))
    if errors:
        raise Invalid(errors)
    canonical = canonical_json(body.model_dump(mode="json", exclude_none=True))
    return Checked(body, url, hosting_ip, hashlib.sha256(canonical).hexdigest())  # type: ignore[arg-type]


# A batch's answer stays bounded: a few errors per item, each location part kept short
# (an unknown field's name is the sender's text, echoed back in `loc`).
MAX_ITEM_ERRORS = 5
MAX_LOC_PART = 64


def parse_item(item: Any, index: int) -> Checked:
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
    return check(body, loc)


def _short(part: str | int) -> str | int:
    if isinstance(part, str) and len(part) > MAX_LOC_PART:
        return part[:MAX_LOC_PART] + "…"
    return part


def locate(
    intake: Intake, hosting_ip: IPAddress | None, host: str, host_ip: IPAddress | None
) -> Hosting:
    """The hosting address and its country; DNS is only asked when no address was given."""
    if hosting_ip is not None:
        ip, source = hosting_ip, "reported"
    else:
        ip = host_ip or intake.resolver.resolve(host)
        source = "resolved" if ip is not None else "unresolvable"
    if ip is None:
        return Hosting(None, None, "unresolvable")
    return Hosting(str(ip), intake.countries.country(ip), source)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def hosting_of(case: Case) -> dict[str, Any]:
    """A case's hosting as the wire shows it (PROTOCOL 4: ip, country, source)."""
    return {"ip": case.hosting_ip, "country": case.hosting_country, "source": case.hosting_source}


def to_wire(report: Report, case: Case) -> ReportOut:
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
            "hosting": {
                "ip": report.hosting_ip,
                "country": report.hosting_country,
                "source": report.hosting_source,
            },
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
