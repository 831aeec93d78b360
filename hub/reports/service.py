"""Report intake: validation beyond the schema, idempotency, case deduplication, routing.

Races are settled by the database: the (hotline, reference) unique key claims a
reference, the unique `cases.open_url_hash` claims a URL; whoever loses joins the winner.
"""

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import clock, exchange
from hub.db import insert_ignore
from hub.errors import Conflict, Invalid, NotFound, field_error
from hub.geo.country import CountryLookup
from hub.geo.resolver import HostResolver
from hub.hotlines.service import hotline_for_country, serves
from hub.ids import new_id
from hub.matching.service import PdqIndex, identify
from hub.referrals.models import Referral
from hub.referrals.service import open_referral
from hub.reports.models import Case, CaseReporter, Report
from hub.reports.urls import InvalidUrl, NormalisedUrl, is_public_ip, normalise_url
from schemas.reports import ReportIn, ReportOut

# A case in one of these states takes no new reports: the URL is free for a new case.
CLOSING_STATUSES = frozenset({"removed", "content_gone"})


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
    hosting_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
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
            if not is_public_ip(hosting_ip):
                errors.append(field_error([*loc, "hosting_ip"], "must be a public unicast address"))
    if errors:
        raise Invalid(errors)
    canonical = rfc8785.dumps(body.model_dump(mode="json", exclude_none=True))
    return Checked(body, url, hosting_ip, hashlib.sha256(canonical).hexdigest())  # type: ignore[arg-type]


def parse_item(item: Any, index: int) -> Checked:
    """One batch item: the schema, then `check`, with locations inside the batch."""
    loc: tuple[str | int, ...] = ("body", "reports", index)
    try:
        body = ReportIn.model_validate(item)
    except ValidationError as exc:
        raise Invalid(
            [field_error([*loc, *e["loc"]], e["msg"]) for e in exc.errors(include_url=False)]
        ) from None
    return check(body, loc)


def locate(intake: Intake, checked: Checked) -> Hosting:
    """The hosting address and its country; DNS is only asked when no address was given."""
    if checked.hosting_ip is not None:
        ip, source = checked.hosting_ip, "reported"
    else:
        ip = checked.url.host_ip or intake.resolver.resolve(checked.url.host)
        source = "resolved" if ip is not None else "unresolvable"
    if ip is None:
        return Hosting(None, None, "unresolvable")
    return Hosting(str(ip), intake.countries.country(ip), source)


def prior(session: Session, hotline_id: str, checked: Checked) -> tuple[Report | None, Case | None]:
    """What a submission will meet: its reference already used, the URL's open case."""
    report = session.scalar(
        select(Report).where(
            Report.hotline_id == hotline_id, Report.reference == checked.body.reference
        )
    )
    case = session.scalar(select(Case).where(Case.open_url_hash == url_hash(checked.url.url)))
    return report, case


def submit(
    session: Session, intake: Intake, hotline_id: str, checked: Checked, hosting: Hosting | None
) -> tuple[ReportOut, bool]:
    """Records one report (in the caller's transaction). Returns it and whether it is new.

    `hosting` may be None when the URL already had an open case before the call; if the
    case closes in between, the hosting address is looked up here after all.
    """
    body = checked.body
    now = clock.utcnow()
    claimed = insert_ignore(
        session,
        Report,
        {
            "id": new_id("rpt"),
            "hotline_id": hotline_id,
            "reference": body.reference,
            "body_digest": checked.digest,
            "received_at": now,
            "observed_at": body.observed_at,
            "site_type": body.site_type.value,
            "opened_case": False,
            "content_known": False,
            "hosting_source": "unresolvable",
            "routing_reason": "unresolvable",
        },
        ["hotline_id", "reference"],
        returning=[Report.id],
    ).scalar()
    if claimed is None:
        return _replay(session, hotline_id, checked), False
    report = session.get(Report, claimed)
    assert report is not None

    identity = identify(
        session,
        body.content.kind.value,
        body.content.hashes,
        intake.pdq_index,
        intake.pdq_threshold,
    )
    case, opened, to_hotline = _open_or_join_case(
        session, intake, hotline_id, checked, hosting, identity.content_id
    )
    if to_hotline is not None:
        referral_to, referral_id = to_hotline, new_id("ref")
    elif case.active_referral_id is not None:
        referral = session.get(Referral, case.active_referral_id)
        assert referral is not None
        referral_to, referral_id = referral.to_hotline, referral.id
    else:
        referral_to = referral_id = None
    report.case_id = case.id
    report.opened_case = opened
    report.content_id = identity.content_id
    report.content_known = identity.known
    report.match = identity.match
    report.hosting_ip = case.hosting_ip
    report.hosting_country = case.hosting_country
    report.hosting_source = case.hosting_source
    report.routing_reason = case.routing_reason
    report.routing_to = referral_to
    report.routing_referral = referral_id
    session.flush()

    out = to_wire(report, case)
    # The reporter holds this answer, so it can prove both leaves are logged; the digest
    # covers no URL, which a guesser could otherwise confirm against the log.
    answer = out.model_dump(mode="json")
    exchange.log(session, "report.received", actor=hotline_id, subject=answer, case=case.id)
    exchange.log(
        session,
        "case.opened" if opened else "case.joined",
        actor=hotline_id,
        subject=answer,
        case=case.id,
        country=case.hosting_country if opened else None,
    )
    if to_hotline is not None:
        open_referral(session, case, to_hotline, actor="hub", referral_id=referral_id)
    return out, True


def _replay(session: Session, hotline_id: str, checked: Checked) -> ReportOut:
    report = session.scalar(
        select(Report).where(
            Report.hotline_id == hotline_id, Report.reference == checked.body.reference
        )
    )
    assert report is not None  # the unique key said it exists and reports are never deleted
    if report.body_digest != checked.digest:
        raise Conflict(
            f"reference '{checked.body.reference}' was already used for a different report",
            errors=[field_error(["body", "reference"], "already used with a different body")],
        )
    case = session.get(Case, report.case_id)
    assert case is not None
    return to_wire(report, case)


def _open_or_join_case(
    session: Session,
    intake: Intake,
    hotline_id: str,
    checked: Checked,
    hosting: Hosting | None,
    content_id: str,
) -> tuple[Case, bool, str | None]:
    """The URL's open case, or a new one; for a new case also the hotline to refer it to."""
    url = checked.url.url
    key = url_hash(url)
    now = clock.utcnow()
    existing = session.scalar(select(Case).where(Case.open_url_hash == key))
    if existing is None:
        hosting = hosting or locate(intake, checked)
        reason, to_hotline = _route(session, hotline_id, hosting.country)
        case_id = new_id("cas")
        won = insert_ignore(
            session,
            Case,
            {
                "id": case_id,
                "url_key": url,
                "url_hash": key,
                "open_url_hash": key,
                "status": "pending",
                "reporter_id": hotline_id,
                "content_id": content_id,
                "assessment": checked.body.assessment.model_dump(mode="json"),
                "hosting_ip": hosting.ip,
                "hosting_country": hosting.country,
                "hosting_source": hosting.source,
                "routing_reason": reason,
                "unassigned": reason in ("no_member_hotline", "unresolvable"),
                "previous_case_id": _previous_case(session, key),
                "created_at": now,
            },
            ["open_url_hash"],
            returning=[Case.id],
        ).scalar()
        if won is not None:
            case = session.get(Case, won)
            assert case is not None
            _add_reporter(session, case, hotline_id, now)
            return case, True, to_hotline
        # Another submission opened the case between our read and our insert: join it.
        existing = session.scalar(select(Case).where(Case.open_url_hash == key))
        assert existing is not None
    _add_reporter(session, existing, hotline_id, now)
    return existing, False, None


def _add_reporter(session: Session, case: Case, hotline_id: str, now: datetime) -> None:
    insert_ignore(
        session,
        CaseReporter,
        {"case_id": case.id, "hotline_id": hotline_id, "joined_at": now},
        ["case_id", "hotline_id"],
    )


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def _previous_case(session: Session, key: str) -> str | None:
    query = (
        select(Case.id)
        .where(Case.url_hash == key, Case.open_url_hash.is_(None))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def _route(session: Session, reporter: str, country: str | None) -> tuple[str, str | None]:
    """PROTOCOL 4.2 step 3: the reason, and the hotline a referral goes to (if any)."""
    if country is None:
        return "unresolvable", None
    if serves(session, reporter, country):
        return "domestic", None
    hotline = hotline_for_country(session, country)
    if hotline is None:
        return "no_member_hotline", None
    return "hosting_country", hotline


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
