"""Moving referrals and domestic cases along their status graph (`hub.cases.graph`).

Hotline updates come through `change_referral_status` / `change_case_status` after
`verify_signed` has checked them; `record_deliveries` (via `mark_delivered_many`) is the one move only the hub makes.
"""

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub import clock, exchange
from hub.cases import service as cases
from hub.cases.graph import CLOSING, S, check_move, is_domestic
from hub.cases.models import Case
from hub.db import Database, insert_ignore
from hub.delivery.outbox import Notice
from hub.errors import Conflict, HubError, Invalid, NotFound, Unauthenticated, field_error
from hub.exchange import Entry
from hub.hotlines.service import route_for_country, serves
from hub.ids import new_id
from hub.referrals.models import Referral, SeenRequest, StatusChange
from hub.referrals.service import (
    open_referral,
    to_wire,
    to_wires,
)
from schemas.referrals import ActionIn, CaseStatusChanged, ReferralRerouted, Status, StatusIn

logger = logging.getLogger("hub.referrals")
T = TypeVar("T")

SIGNATURE_TOLERANCE = timedelta(minutes=5)
# Standard Webhooks: the id and timestamp may not contain "." (they are "."-joined when signed).
_WEBHOOK_ID = re.compile(r"[\x21-\x2d\x2f-\x7e]{1,200}")
_WEBHOOK_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# Rotation needs two or three; the bound keeps a padded header from costing many verifies.
MAX_SIGNATURES = 8


class BadSignature(Unauthenticated):
    """A hotline with registered keys sent a status update without a valid signature."""

    slug = "bad-signature"
    title = "Missing or invalid request signature"

    def headers(self) -> dict[str, str]:
        return {}


def verify_signed(
    hotline_id: str, public_keys: list[str], headers: Mapping[str, str], body: bytes
) -> str | None:
    """Checks the Standard Webhooks `v1a` headers of a status update from `hotline_id`.

    Returns the request id (hotline id and webhook-id) that makes a replay harmless, or
    None for a hotline without keys, whose unsigned requests are taken as they are.
    """
    if not public_keys:
        return None
    webhook_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (webhook_id and timestamp and signatures):
        raise BadSignature(
            f"'{hotline_id}' has registered keys: send webhook-id, webhook-timestamp and "
            "webhook-signature (v1a) with every status update"
        )
    if not _WEBHOOK_ID.fullmatch(webhook_id):
        raise BadSignature("webhook-id must be 1..200 printable ASCII characters, without '.'")
    if not _WEBHOOK_TIMESTAMP.fullmatch(timestamp):
        raise BadSignature("webhook-timestamp must be integer Unix seconds")
    skew = abs(clock.utcnow().timestamp() - int(timestamp))
    if skew > SIGNATURE_TOLERANCE.total_seconds():
        raise BadSignature("webhook-timestamp is more than 5 minutes away from the hub's clock")
    message = f"{webhook_id}.{timestamp}.".encode() + body
    keys = [Ed25519PublicKey.from_public_bytes(base64.b64decode(key)) for key in public_keys]
    for entry in signatures.split()[:MAX_SIGNATURES]:
        version, _, encoded = entry.partition(",")
        if version != "v1a":
            continue  # other schemes (v1 is HMAC) need a shared secret the hub does not hold
        try:
            signature = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        for key in keys:
            try:
                key.verify(signature, message)
            except InvalidSignature:
                continue
            # A digest: the webhook-id is the sender's text and is never stored as sent.
            return hashlib.sha256(f"{hotline_id}:{webhook_id}".encode()).hexdigest()
    raise BadSignature(
        f"no v1a signature in webhook-signature verifies with a key of '{hotline_id}'"
    )


def remember(session: Session, request_id: str | None) -> None:
    """Records a verified request id for good: with the update it carried, or on its own
    after the update was refused, so that a replay of it is refused too."""
    if request_id is not None:
        row = {"request_id": request_id, "seen_at": clock.utcnow()}
        insert_ignore(session, SeenRequest, row, ["request_id"])


def apply_once(database: Database, request_id: str | None, change: Callable[[Session], T]) -> T:
    """Runs `change` in one transaction and remembers the verified request id with it;
    when the change is refused, the id is remembered on its own, so the refused request
    cannot be replayed either."""
    try:
        with database.transaction() as session:
            out = change(session)
            remember(session, request_id)
    except HubError:
        with database.transaction() as session:
            remember(session, request_id)
        raise
    return out


def check_target(
    update: StatusIn | ActionIn, field: str, path_id: str, request_id: str | None
) -> None:
    """A signed update names what it is for (`referral` or `case`), as its path does: the
    signature then binds it to that object and it cannot be replayed against another."""
    named = getattr(update, field)
    other = "case" if field == "referral" else "referral"
    if getattr(update, other, None) is not None:
        raise Invalid([field_error(["body", other], f"not allowed here; name the {field}")])
    if named is None and request_id is not None:
        raise Invalid([field_error(["body", field], f"required in a signed update: '{path_id}'")])
    if named is not None and named != path_id:
        raise Invalid([field_error(["body", field], "does not match the path")])


def change_referral_status(
    session: Session,
    referral_id: str,
    hotline_id: str,
    update: StatusIn,
    request_id: str | None,
) -> dict[str, Any]:
    """Moves a referral addressed to `hotline_id` along the graph; returns it as it is now."""
    check_target(update, "referral", referral_id, request_id)
    referral = session.get(Referral, referral_id, with_for_update=True)
    if referral is None or referral.to_hotline != hotline_id:
        raise NotFound(f"no referral '{referral_id}'")
    case = _lock_case(session, referral.case_id)
    if _already_applied(session, request_id, case, referral, update) or (
        referral.status == update.status and referral.status_at == update.occurred_at
    ):
        return to_wire(session, referral, case)
    check_move(referral.status, update.status, f"referral '{referral.id}'", domestic=False)
    _apply(session, case, referral, update, hotline_id, request_id)
    return to_wire(session, referral, case)


def change_case_status(
    session: Session,
    case_id: str,
    hotline_id: str,
    update: StatusIn,
    request_id: str | None,
) -> dict[str, Any]:
    """Moves a domestic case its reporter handles along the graph; returns it as it is now."""
    check_target(update, "case", case_id, request_id)
    case = session.get(Case, case_id)
    if case is None or hotline_id not in cases.reporters_of(session, case_id):
        raise NotFound(f"no case '{case_id}'")
    case = _lock_case(session, case_id)
    if _already_applied(session, request_id, case, None, update) or _repeats_domestic(
        session, case, update
    ):
        return cases.to_wire(session, case, hotline_id)
    if not is_domestic(case):
        where = (
            f"follows referral '{case.active_referral_id}'"
            if case.active_referral_id
            else "waits in the admin's unassigned queue"
        )
        raise Conflict(
            f"case '{case.id}' is not handled domestically: its status {where}",
            allowed=[],
            current=case.status,
        )
    if hotline_id != case.reporter_id and not serves(
        session, hotline_id, case.hosting_country or ""
    ):
        # A hotline that joined another country's domestic case follows it, not runs it.
        raise Conflict(
            f"case '{case.id}' is handled by the reporter whose country hosts it",
            allowed=[],
            current=case.status,
        )
    check_move(case.status, update.status, f"case '{case.id}'", domestic=True)
    _apply(session, case, None, update, hotline_id, request_id)
    return cases.to_wire(session, case, hotline_id)


def record_deliveries(
    session: Session, delivered: Sequence[tuple[str, bytes]], at: datetime
) -> None:
    """Delivered `referral.created` events (type, body) move their referrals from pending
    to delivered, all at once; other types and referrals past pending change nothing.
    The delivery worker and the ack route call this (`hub.delivery.service.OnDelivered`)."""
    referral_ids = [
        json.loads(body)["data"]["id"]
        for event_type, body in delivered
        if event_type == "referral.created"
    ]
    if referral_ids:
        mark_delivered_many(session, referral_ids, at)


def mark_delivered_many(session: Session, referral_ids: Collection[str], at: datetime) -> int:
    """Moves the pending referrals among `referral_ids` to `delivered`, set-based; returns
    how many moved. Others (already delivered, gone) are left alone: the hub's push or ack
    counts whatever the referral's state.

    Locks referral rows, then case rows, each in id order, as every status change does
    (referral before case), and writes the log and the reporters' events last.
    """
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.id.in_(sorted(set(referral_ids))), Referral.status == S.pending)
            .order_by(Referral.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not referrals:
        return 0
    # FOR NO KEY UPDATE, as `_lock_case`: reports joining these cases are not blocked.
    locked = session.scalars(
        select(Case)
        .where(Case.id.in_(sorted({r.case_id for r in referrals})))
        .order_by(Case.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    cases_by_id = {case.id: case for case in locked}
    moving = [(r, cases_by_id[r.case_id]) for r in referrals if r.case_id in cases_by_id]
    for referral in referrals:
        if referral.case_id not in cases_by_id:
            logger.warning(
                "referral without its case not marked delivered", extra={"referral": referral.id}
            )
    if not moving:
        return 0
    previous = {case.id: case.status for _, case in moving}
    followed = [(r, case) for r, case in moving if case.active_referral_id == r.id]
    now = clock.utcnow()
    # Core statements on the locked rows, whose loaded copies are then set to match
    # (committed values: the session has nothing more to flush for them).
    session.execute(
        insert(StatusChange.__table__),
        [
            {
                "case_id": case.id,
                "referral_id": referral.id,
                "status": S.delivered.value,
                "occurred_at": at,
                "recorded_at": now,
                "actor": "hub",
                "request_id": None,
            }
            for referral, case in moving
        ],
    )
    referrals_table = Referral.__table__
    session.execute(
        update(referrals_table)
        .where(referrals_table.c.id.in_([r.id for r, _ in moving]))
        .values(status=S.delivered.value, delivered_at=at, status_at=at)
    )
    for referral, _ in moving:
        for name, value in (("status", S.delivered.value), ("delivered_at", at), ("status_at", at)):
            set_committed_value(referral, name, value)
    if followed:
        cases_table = Case.__table__
        session.execute(
            update(cases_table)
            .where(cases_table.c.id.in_([case.id for _, case in followed]))
            .values(status=S.delivered.value)
        )
        for _, case in followed:
            set_committed_value(case, "status", S.delivered.value)
    wires = to_wires(session, moving)
    exchange.log_many(
        session,
        [
            Entry(
                "referral.delivered",
                "hub",
                wire,
                {
                    "case": case.id,
                    "referral": referral.id,
                    "to": referral.to_hotline,
                    "country": case.hosting_country,
                    "status": S.delivered.value,
                    "from": case.reporter_id,
                },
            )
            for (referral, case), wire in zip(moving, wires, strict=True)
        ],
    )
    reporters = {case.id: wire["reporters"] for (_, case), wire in zip(moving, wires, strict=True)}
    exchange.notify_many(
        session,
        [
            Notice(
                "case.status_changed",
                reporters.get(case.id, []),
                CaseStatusChanged(
                    case=case.id,
                    referral=referral.id,
                    status=S.delivered,
                    occurred_at=at,
                    previous_status=Status(previous[case.id]),
                ).model_dump(mode="json"),
            )
            for referral, case in followed
        ],
    )
    return len(moving)


def _lock_case(session: Session, case_id: str) -> Case:
    # FOR NO KEY UPDATE: reports joining the case (a key-share lock via its foreign key)
    # are not blocked by a status change that leaves the case's keys alone.
    case = session.get(Case, case_id, with_for_update={"key_share": True})
    if case is None:
        raise NotFound(f"no case '{case_id}'")
    return case


def _already_applied(
    session: Session,
    request_id: str | None,
    case: Case,
    referral: Referral | None,
    update: StatusIn,
) -> bool:
    """True when this signed request was applied before; a webhook-id is good for one update,
    and one that was refused before stays refused."""
    if request_id is None:
        return False
    change = session.scalar(select(StatusChange).where(StatusChange.request_id == request_id))
    if change is None:
        if session.get(SeenRequest, request_id) is not None:
            raise _used_webhook_id()  # refused before: it stays refused
        return False
    if (
        change.case_id == case.id
        and change.referral_id == (referral.id if referral else None)
        and change.status == update.status
        and change.occurred_at == update.occurred_at
    ):
        return True
    raise _used_webhook_id()


def _used_webhook_id() -> Conflict:
    return Conflict(
        "this webhook-id was already used for another status update; send a new one",
        errors=[field_error(["header", "webhook-id"], "already used")],
    )


def _repeats_domestic(session: Session, case: Case, update: StatusIn) -> bool:
    last = session.scalar(
        select(StatusChange)
        .where(StatusChange.case_id == case.id, StatusChange.referral_id.is_(None))
        .order_by(StatusChange.seq.desc())
        .limit(1)
    )
    if last is None or last.status != update.status or last.occurred_at != update.occurred_at:
        return False
    # A rerouted domestic case has moved on to its new route, so its status is no longer it.
    return case.status == update.status or update.status is S.rerouted


def _insert_change(
    session: Session,
    case_id: str,
    referral_id: str | None,
    status: Status,
    at: datetime,
    actor: str,
    request_id: str | None,
) -> None:
    claimed = insert_ignore(
        session,
        StatusChange,
        {
            "case_id": case_id,
            "referral_id": referral_id,
            "status": status.value,
            "occurred_at": at,
            "recorded_at": clock.utcnow(),
            "actor": actor,
            "request_id": request_id,
        },
        ["request_id"],
        returning=[StatusChange.seq],
    ).scalar()
    if claimed is None:
        # The same webhook-id won a race on another referral or case: this one is refused.
        raise _used_webhook_id()


def _apply(
    session: Session,
    case: Case,
    referral: Referral | None,
    update: StatusIn,
    actor: str,
    request_id: str | None,
) -> None:
    status, at = update.status, update.occurred_at
    previous = case.status
    if status is S.rerouted:
        assert update.country is not None  # StatusIn requires it with `rerouted`
        _reroute(session, case, referral, update.country, at, actor, request_id, previous)
        return
    _insert_change(
        session, case.id, referral.id if referral else None, status, at, actor, request_id
    )
    if referral is not None:
        referral.status = status.value
        referral.status_at = at
        if status is S.removed:
            referral.removed_at = at
    follows = referral is None or case.active_referral_id == referral.id
    if follows:
        case.status = status.value
    if status in CLOSING:
        case.open_url_hash = None
        case.closed_at = at
    # The case row's key (open_url_hash) changes before the exchange lock is taken below.
    session.flush()
    fields = {
        "case": case.id,
        "to": referral.to_hotline if referral else None,
        "from": case.reporter_id,
        "country": case.hosting_country,
        "status": status.value,
    }
    if referral is not None:
        exchange.log(
            session,
            "referral.status",
            actor=actor,
            subject=to_wire(session, referral, case),
            referral=referral.id,
            **fields,
        )
    else:
        exchange.log(
            session, "case.status", actor=actor, subject=cases.to_wire(session, case), **fields
        )
    if follows:
        _tell_reporters(session, case, referral.id if referral else None, at, previous)


def _reroute(
    session: Session,
    case: Case,
    old: Referral | None,
    country: str,
    at: datetime,
    actor: str,
    request_id: str | None,
    previous: str,
) -> None:
    """Ends `old` (or the domestic handling) and routes the case to `country` instead."""
    reason, hotline = route_for_country(session, country).for_reporter(case.reporter_id)
    if old is None and reason == "domestic":
        raise Invalid(
            [field_error(["body", "country"], f"the case is already handled by you in {country}")]
        )
    if old is not None and hotline == old.to_hotline:
        raise Invalid(
            [field_error(["body", "country"], f"'{hotline}' is the hotline for {country} itself")]
        )
    _insert_change(session, case.id, old.id if old else None, S.rerouted, at, actor, request_id)
    if old is not None:
        old.status = S.rerouted.value
        old.status_at = at
    # The hotline's finding overrides the geolocation: stats and the admin's queue use it.
    case.hosting_country = country
    case.active_referral_id = None
    case.status = S.pending.value
    case.unassigned = hotline is None and reason != "domestic"
    case.routing_reason = reason
    session.flush()
    new_referral_id = new_id("ref") if hotline else None
    exchange.log(
        session,
        "referral.rerouted",
        actor=actor,
        subject=to_wire(session, old, case) if old else cases.to_wire(session, case),
        case=case.id,
        referral=old.id if old else None,
        to=hotline,
        country=country,
        status=S.rerouted.value,
        **{"from": case.reporter_id},
    )
    if hotline is not None:
        open_referral(
            session,
            case,
            hotline,
            actor="hub",
            referral_id=new_referral_id,
            rerouted_from=old.id if old else None,
        )
    recipients = [h for h in (old.to_hotline if old else None, hotline) if h is not None]
    if recipients:
        data = ReferralRerouted(
            case=case.id,
            referral=old.id if old else None,
            new_referral=new_referral_id,
            country=country,
        )
        exchange.notify(session, "referral.rerouted", recipients, data.model_dump(mode="json"))
    _tell_reporters(
        session, case, new_referral_id, at, previous, rerouted_from=old.id if old else None
    )


def _tell_reporters(
    session: Session,
    case: Case,
    referral_id: str | None,
    at: datetime,
    previous: str,
    rerouted_from: str | None = None,
) -> None:
    data = CaseStatusChanged(
        case=case.id,
        referral=referral_id,
        status=Status(case.status),
        occurred_at=at,
        previous_status=Status(previous),
        rerouted_from=rerouted_from,
    )
    exchange.notify(
        session,
        "case.status_changed",
        cases.reporters_of(session, case.id),
        data.model_dump(mode="json"),
    )
