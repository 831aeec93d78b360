"""The admin's view of cases: the unassigned queue and routing a case by hand."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import Conflict, Invalid, NotFound, field_error
from hub.hotlines.models import Hotline
from hub.referrals.service import open_referral, reporters_of
from hub.reports.models import Case
from hub.reports.service import hosting_of
from schemas.referrals import CaseOut


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


def route_by_hand(session: Session, case_id: str, hotline_id: str, actor: str) -> dict[str, Any]:
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"no case '{case_id}'")
    if not case.unassigned:
        raise Conflict(f"case '{case_id}' is not in the unassigned queue")
    hotline = session.get(Hotline, hotline_id)
    if hotline is None or not hotline.active:
        raise Invalid([field_error(["body", "hotline"], f"no active hotline '{hotline_id}'")])
    open_referral(session, case, hotline_id, actor=actor)
    return to_wire(session, case)
