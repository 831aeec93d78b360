"""A case as its readers see it: its reporters, its hosting, its wire form (need to know:
a reporter sees itself among the reporters, never the other hotlines)."""

from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cases.models import Case, CaseReporter
from hub.db import among
from hub.errors import NotFound
from schemas.referrals import CaseOut


class Hosted(Protocol):
    """A row that carries where its URL was hosted: a case, or a report of it."""

    hosting_ip: str | None
    hosting_country: str | None
    hosting_source: str
    hosting_cdn: str | None
    hosting_asn: int | None
    hosting_network: str | None


def reporters_of(session: Session, case_id: str) -> list[str]:
    return reporters_by_case(session, [case_id]).get(case_id, [])


def reporters_by_case(session: Session, case_ids: list[str]) -> dict[str, list[str]]:
    """Each case's reporting hotlines, in the order they joined, with one query."""
    reporters: dict[str, list[str]] = {}
    if not case_ids:
        return reporters
    for case_id, hotline_id in session.execute(
        select(CaseReporter.case_id, CaseReporter.hotline_id)
        .where(among(session, CaseReporter.case_id, list(set(case_ids))))
        .order_by(CaseReporter.joined_at, CaseReporter.hotline_id)
    ):
        reporters.setdefault(case_id, []).append(hotline_id)
    return reporters


def case_for(session: Session, case_id: str, hotline_id: str | None) -> Case:
    """The case for a reporter of it (`hotline_id`) or the admin (None); otherwise 404."""
    case = session.get(Case, case_id)
    if case is None or (
        hotline_id is not None and hotline_id not in reporters_of(session, case_id)
    ):
        raise NotFound(f"no case '{case_id}'")
    return case


def hosting_of(row: Hosted) -> dict[str, Any]:
    """A case's or report's hosting as the wire shows it (ip, country, source; 1.1: cdn,
    network)."""
    network = (
        {"asn": row.hosting_asn, "name": row.hosting_network}
        if row.hosting_asn is not None
        else None
    )
    return {
        "ip": row.hosting_ip,
        "country": row.hosting_country,
        "source": row.hosting_source,
        "cdn": row.hosting_cdn,
        "network": network,
    }


def to_wire(session: Session, case: Case, viewer: str | None = None) -> dict[str, Any]:
    """A case as the admin sees it, or as reporter `viewer` does: itself among the
    reporters, never the other hotlines that reported the same URL (need to know)."""
    reporters = reporters_of(session, case.id)
    return CaseOut(
        id=case.id,
        url=case.url_key,
        status=case.status,
        hosting=hosting_of(case),
        routing_reason=case.routing_reason,
        reporters=reporters if viewer is None else [r for r in reporters if r == viewer],
        referral=case.active_referral_id,
        created_at=case.created_at,
        previous_case=case.previous_case_id,
    ).model_dump(mode="json")


def unassigned(session: Session, after: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(Case).where(Case.unassigned.is_(True)).order_by(Case.id).limit(limit)
    if after:
        query = query.where(Case.id > after)
    return [to_wire(session, case) for case in session.scalars(query)]
