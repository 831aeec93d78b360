"""Referrals a hotline receives (`/v1/referrals`) and the admin's case queue (`/v1/cases`)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from hub.deps import AdminDep, AfterDep, HotlineDep, LimitDep, ReadSession, WriteSession
from hub.pagination import page
from hub.referrals import cases, service
from schemas.common import Page
from schemas.referrals import CaseOut, ReferralOut, RouteCaseIn

router = APIRouter(tags=["referrals"])
IdPath = Annotated[str, Path(max_length=40)]


@router.get("/v1/referrals", response_model=Page[ReferralOut])
def inbox(who: HotlineDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    """Referrals addressed to the caller, oldest first."""
    referrals = service.inbox(session, who.subject, after, limit)
    return page([service.to_wire(session, r) for r in referrals], limit)


@router.get("/v1/referrals/{referral_id}", response_model=ReferralOut)
def get_referral(referral_id: IdPath, who: HotlineDep, session: ReadSession) -> dict:
    return service.to_wire(session, service.get_for_hotline(session, referral_id, who.subject))


@router.get("/v1/cases", response_model=Page[CaseOut], tags=["administration"])
def list_cases(
    who: AdminDep,
    session: ReadSession,
    limit: LimitDep,
    after: AfterDep,
    routing: Annotated[Literal["unassigned"], Query()] = "unassigned",
) -> dict:
    """The unassigned queue: cases whose hosting country has no member hotline or is unknown."""
    return page(cases.unassigned(session, after, limit), limit)


@router.post("/v1/cases/{case_id}/route", response_model=CaseOut, tags=["administration"])
def route_case(case_id: IdPath, body: RouteCaseIn, who: AdminDep, session: WriteSession) -> dict:
    """Routes an unassigned case by hand: a referral to `hotline`, announced as usual."""
    out = cases.route_by_hand(session, case_id, body.hotline, who.subject)
    session.commit()
    return out
