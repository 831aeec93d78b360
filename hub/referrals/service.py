"""Routing a case to a hotline and opening the referral that hands it over.

A referral starts `pending`; it is announced in the same transaction that creates it.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import clock, exchange
from hub.errors import NotFound
from hub.ids import new_id
from hub.matching.models import Content
from hub.matching.service import hashes_of
from hub.referrals.models import Referral
from hub.reports.models import Case, CaseReporter
from schemas.referrals import ReferralOut


def reporters_of(session: Session, case_id: str) -> list[str]:
    query = (
        select(CaseReporter.hotline_id)
        .where(CaseReporter.case_id == case_id)
        .order_by(CaseReporter.joined_at, CaseReporter.hotline_id)
    )
    return list(session.scalars(query))


def open_referral(
    session: Session,
    case: Case,
    to_hotline: str,
    actor: str,
    referral_id: str | None = None,
    rerouted_from: str | None = None,
) -> Referral:
    """Hands `case` to `to_hotline`: the referral row, its log leaf and its event."""
    referral = Referral(
        id=referral_id or new_id("ref"),
        case_id=case.id,
        to_hotline=to_hotline,
        status="pending",
        created_at=clock.utcnow(),
        rerouted_from=rerouted_from,
    )
    session.add(referral)
    case.active_referral_id = referral.id
    case.unassigned = False
    case.status = "pending"
    session.flush()
    wire = to_wire(session, referral, case)
    exchange.log(
        session,
        "referral.created",
        actor=actor,
        subject=wire,
        case=case.id,
        referral=referral.id,
        to=to_hotline,
        country=case.hosting_country,
    )
    exchange.notify(session, "referral.created", [to_hotline], wire)
    return referral


def to_wire(session: Session, referral: Referral, case: Case | None = None) -> dict[str, Any]:
    case = case or session.get(Case, referral.case_id)
    if case is None:
        raise NotFound(f"no case for referral '{referral.id}'")
    content = session.get(Content, case.content_id)
    out = ReferralOut(
        id=referral.id,
        case=case.id,
        to=referral.to_hotline,
        reporters=reporters_of(session, case.id),
        url=case.url_key,
        content={
            "id": case.content_id,
            "kind": content.kind if content else "other",
            "hashes": hashes_of(session, case.content_id),
        },
        assessment=case.assessment,
        hosting={
            "ip": case.hosting_ip,
            "country": case.hosting_country,
            "source": case.hosting_source,
        },
        status=referral.status,
        created_at=referral.created_at,
        previous_case=case.previous_case_id,
    )
    return out.model_dump(mode="json")


def get_for_hotline(session: Session, referral_id: str, hotline_id: str) -> Referral:
    """The referral if it is addressed to `hotline_id`; otherwise 404, never 403."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.to_hotline != hotline_id:
        raise NotFound(f"no referral '{referral_id}'")
    return referral


def inbox(session: Session, hotline_id: str, after: str | None, limit: int) -> list[Referral]:
    query = (
        select(Referral).where(Referral.to_hotline == hotline_id).order_by(Referral.id).limit(limit)
    )
    if after:
        query = query.where(Referral.id > after)
    return list(session.scalars(query))
