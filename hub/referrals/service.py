"""Routing a case to a hotline and opening the referral that hands it over.

A referral starts `pending`; it is announced in the same transaction that creates it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub import clock, exchange
from hub.cases.models import Case
from hub.cases.service import hosting_of, reporters_by_case
from hub.cases.service import to_wire as case_wire
from hub.db import insert_ignore, update_rows
from hub.errors import Conflict, Invalid, NotFound, field_error
from hub.exchange import Entry, Notice
from hub.hotlines.models import Hotline
from hub.ids import new_id
from hub.matching.service import contents_of
from hub.referrals.models import Referral
from schemas.referrals import ReferralOut


@dataclass(frozen=True)
class Handover:
    """One case to hand to one hotline; `referral_id` may be chosen by the caller."""

    case: Case
    to_hotline: str
    referral_id: str | None = None
    rerouted_from: str | None = None
    # What the caller already knows of the case (intake, which has just opened it): its
    # reporters and its content's wire form, which need not be read back.
    reporters: tuple[str, ...] = ()
    content: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Opened:
    """A referral as `open_referrals` wrote it: the fields its wire form shows (an ORM
    object per referral costs more than writing the row)."""

    id: str
    case_id: str
    to_hotline: str
    status: str
    created_at: datetime
    rerouted_from: str | None


class ReferralFields(Protocol):
    id: str
    to_hotline: str
    status: str
    created_at: datetime


def open_referral(
    session: Session,
    case: Case,
    to_hotline: str,
    actor: str,
    referral_id: str | None = None,
    rerouted_from: str | None = None,
) -> None:
    """Hands `case` to `to_hotline`: the referral row, its log leaf and its event."""
    open_referrals(session, [Handover(case, to_hotline, referral_id, rerouted_from)], actor)


def open_referrals(session: Session, handovers: list[Handover], actor: str) -> None:
    """Opens several referrals with a fixed number of queries (report batches use this)."""
    now = clock.utcnow()
    referrals = [
        Opened(
            handover.referral_id or new_id("ref"),
            handover.case.id,
            handover.to_hotline,
            "pending",
            now,
            handover.rerouted_from,
        )
        for handover in handovers
    ]
    # Rows go in by one statement each, not one per object: flush what the caller changed
    # first, then keep the case objects in step with the rows without making them dirty.
    session.flush()
    insert_ignore(
        session,
        Referral,
        [
            {
                "id": r.id,
                "case_id": r.case_id,
                "to_hotline": r.to_hotline,
                "status": r.status,
                "created_at": r.created_at,
                "rerouted_from": r.rerouted_from,
            }
            for r in referrals
        ],
        ["id"],
    )
    # A case already written pointing at its new referral (intake does that) needs no update.
    moved = {"unassigned": False, "status": "pending"}
    stale = [
        (h.case, {"active_referral_id": r.id, **moved})
        for h, r in zip(handovers, referrals, strict=True)
        if (h.case.active_referral_id, h.case.unassigned, h.case.status) != (r.id, False, "pending")
    ]
    update_rows(session, Case, [{"id": case.id, **values} for case, values in stale], key="id")
    for case, values in stale:
        for name, value in values.items():
            set_committed_value(case, name, value)
    wires = to_wires(
        session,
        [(r, h.case) for r, h in zip(referrals, handovers, strict=True)],
        reporters={h.case.id: list(h.reporters) for h in handovers if h.reporters},
        contents={h.case.content_id: h.content for h in handovers if h.content is not None},
    )
    exchange.log_many(
        session,
        [
            Entry(
                "referral.created",
                actor,
                wire,
                {
                    "case": handover.case.id,
                    "referral": referral.id,
                    "to": handover.to_hotline,
                    "country": handover.case.hosting_country,
                },
            )
            for referral, handover, wire in zip(referrals, handovers, wires, strict=True)
        ],
    )
    exchange.notify_many(
        session,
        [
            Notice("referral.created", [handover.to_hotline], wire)
            for handover, wire in zip(handovers, wires, strict=True)
        ],
    )


def to_wire(session: Session, referral: Referral, case: Case | None = None) -> dict[str, Any]:
    case = case or session.get(Case, referral.case_id)
    if case is None:
        raise NotFound(f"no case for referral '{referral.id}'")
    return to_wires(session, [(referral, case)])[0]


def to_wires(
    session: Session,
    pairs: Sequence[tuple[ReferralFields, Case]],
    reporters: dict[str, list[str]] | None = None,
    contents: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Referrals as PROTOCOL section 5 shows them, loading what they share in bulk; the
    cases' `reporters` and `contents` the caller passes are not read again."""
    reporters = dict(reporters or {})
    contents = dict(contents or {})
    case_ids = list({case.id for _, case in pairs if case.id not in reporters})
    content_ids = list({case.content_id for _, case in pairs if case.content_id not in contents})
    if case_ids:
        reporters.update(reporters_by_case(session, case_ids))
    if content_ids:
        contents.update(contents_of(session, content_ids))
    wires = []
    for referral, case in pairs:
        out = ReferralOut(
            id=referral.id,
            case=case.id,
            to=referral.to_hotline,
            reporters=reporters.get(case.id, []),
            url=case.url_key,
            content=contents.get(
                case.content_id, {"id": case.content_id, "kind": "other", "hashes": []}
            ),
            assessment=case.assessment,
            hosting=hosting_of(case),
            status=referral.status,
            created_at=referral.created_at,
            previous_case=case.previous_case_id,
        )
        wires.append(out.model_dump(mode="json"))
    return wires


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


def public_keys_of(session: Session, hotline_id: str) -> list[str]:
    hotline = session.get(Hotline, hotline_id)
    return list(hotline.public_keys) if hotline is not None else []


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
    return case_wire(session, case)
