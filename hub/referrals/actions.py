"""Protocol 1.1 referral actions: the referral's hotline records that it notified law
enforcement or the host; the status stays, the reporters hear of it, the log holds it."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import clock, exchange
from hub.cases.models import Case
from hub.cases.service import reporters_of
from hub.db import insert_ignore
from hub.errors import Conflict, NotFound, field_error
from hub.ids import new_id
from hub.referrals.models import Referral, ReferralAction
from hub.referrals.status import check_target
from schemas.referrals import ActionIn, ActionOut, Status


def record_action(
    session: Session, referral_id: str, hotline_id: str, body: ActionIn, request_id: str | None
) -> tuple[dict[str, Any], bool]:
    """Records `body` for a referral addressed to `hotline_id`; returns it and whether it is
    new. The same action at the same `occurred_at` (or a replayed webhook-id) is not
    recorded twice."""
    check_target(body, "referral", referral_id, request_id)
    referral = session.get(Referral, referral_id, with_for_update=True)
    if referral is None or referral.to_hotline != hotline_id:
        raise NotFound(f"no referral '{referral_id}'")
    if referral.status == Status.rerouted:
        raise Conflict(
            f"referral '{referral_id}' was rerouted: its case is another hotline's now",
            allowed=[],
            current=referral.status,
        )
    existing = _existing(session, referral.id, body, request_id)
    if existing is not None:
        return _wire(existing), False
    action = ReferralAction(
        id=new_id("act"),
        referral_id=referral.id,
        case_id=referral.case_id,
        action=body.action.value,
        occurred_at=body.occurred_at,
        recorded_at=clock.utcnow(),
        actor=hotline_id,
        request_id=request_id,
    )
    claimed = insert_ignore(
        session, ReferralAction, action.model_dump(), ["request_id"], returning=[ReferralAction.id]
    ).scalar()
    if claimed is None:
        raise _reused_webhook_id()
    case = session.get(Case, referral.case_id)
    assert case is not None
    wire = _wire(action)
    exchange.log(
        session,
        "referral.action",
        actor=hotline_id,
        subject=wire,
        case=case.id,
        referral=referral.id,
        to=referral.to_hotline,
        country=case.hosting_country,
        action=action.action,
        **{"from": case.reporter_id},
    )
    exchange.notify(session, "referral.action", reporters_of(session, case.id), wire)
    return wire, True


def _existing(
    session: Session, referral_id: str, body: ActionIn, request_id: str | None
) -> ReferralAction | None:
    if request_id is not None:
        found = session.scalar(
            select(ReferralAction).where(ReferralAction.request_id == request_id)
        )
        if found is None:
            return None
        if (found.referral_id, found.action, found.occurred_at) == (
            referral_id,
            body.action.value,
            body.occurred_at,
        ):
            return found
        raise _reused_webhook_id()
    return session.scalar(
        select(ReferralAction).where(
            ReferralAction.referral_id == referral_id,
            ReferralAction.action == body.action.value,
            ReferralAction.occurred_at == body.occurred_at,
        )
    )


def _reused_webhook_id() -> Conflict:
    return Conflict(
        "this webhook-id was already used for a different request; send a new one",
        errors=[field_error(["header", "webhook-id"], "already used")],
    )


def _wire(action: ReferralAction) -> dict[str, Any]:
    return ActionOut(
        id=action.id,
        referral=action.referral_id,
        case=action.case_id,
        action=action.action,  # type: ignore[arg-type]
        occurred_at=action.occurred_at,
        recorded_at=action.recorded_at,
    ).model_dump(mode="json")
