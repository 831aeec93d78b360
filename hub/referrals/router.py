"""Referrals a hotline receives (`/v1/referrals`), their status updates, the cases a hotline
reported and the admin's case queue (`/v1/cases`).
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from hub.cases import service as cases
from hub.deps import (
    AdminDep,
    AfterDep,
    AnyPrincipal,
    HotlineDep,
    LimitDep,
    ReadSession,
    StateDep,
)
from hub.errors import Forbidden
from hub.pagination import page
from hub.referrals import actions, service, status
from schemas.common import Page, Problem
from schemas.referrals import ActionIn, ActionOut, CaseOut, ReferralOut, RouteCaseIn, StatusIn

router = APIRouter(tags=["referrals"])
IdPath = Annotated[str, Path(max_length=40)]


@dataclass(frozen=True)
class SignedRequest:
    """The exact body bytes and the Standard Webhooks headers a status update came with."""

    body: bytes
    headers: dict[str, str]


def _header(name: str, description: str) -> Any:
    return Header(alias=name, description=description)


async def _signed_request(
    request: Request,
    webhook_id: Annotated[
        str | None, _header("webhook-id", "Unique per update; a replay of it is not applied")
    ] = None,
    webhook_timestamp: Annotated[
        str | None, _header("webhook-timestamp", "Unix seconds, within 5 minutes of the hub")
    ] = None,
    webhook_signature: Annotated[
        str | None,
        _header(
            "webhook-signature",
            'Space-separated "v1a,<base64 Ed25519 signature over id.timestamp.body>"',
        ),
    ] = None,
) -> SignedRequest:
    """Required when the hotline has registered keys (docs/protocol.md sections 2 and 6)."""
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": webhook_timestamp,
        "webhook-signature": webhook_signature,
    }
    # FastAPI has read and cached the body to parse it; the signature covers these bytes.
    body = await request.body()
    return SignedRequest(body, {name: value for name, value in headers.items() if value})


Signed = Annotated[SignedRequest, Depends(_signed_request)]
STATUS_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid token or request signature"},
    404: {"model": Problem, "description": "No such object addressed to the caller"},
    409: {"model": Problem, "description": "Not on the status graph; `allowed` names the next"},
}


def _verified(who: HotlineDep, signed: Signed, reader: ReadSession) -> str | None:
    """The verified `webhook-id` of a hotline-signed update (None when the hotline has
    registered no keys), checked before anything is applied; 401 when it does not verify."""
    keys = service.public_keys_of(reader, who.subject)
    reader.close()
    return status.verify_signed(who.subject, keys, signed.headers, signed.body)


VerifiedId = Annotated[str | None, Depends(_verified)]


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
def route_case(case_id: IdPath, body: RouteCaseIn, who: AdminDep, state: StateDep) -> dict:
    """Routes an unassigned case by hand: a referral to `hotline`, announced as usual."""
    with state.database.transaction() as session:
        return service.route_by_hand(session, case_id, body.hotline, who.subject)


@router.post(
    "/v1/referrals/{referral_id}/status", response_model=ReferralOut, responses=STATUS_RESPONSES
)
def post_referral_status(
    referral_id: IdPath,
    body: StatusIn,
    who: HotlineDep,
    request_id: VerifiedId,
    state: StateDep,
) -> dict:
    """Moves a referral addressed to the caller along the status graph (docs/protocol.md 6)."""
    return status.apply_once(
        state.database,
        request_id,
        lambda s: status.change_referral_status(s, referral_id, who.subject, body, request_id),
    )


@router.post(
    "/v1/referrals/{referral_id}/actions",
    status_code=201,
    response_model=ActionOut,
    responses={**STATUS_RESPONSES, 200: {"model": ActionOut, "description": "Already recorded"}},
)
def post_referral_action(
    referral_id: IdPath,
    body: ActionIn,
    who: HotlineDep,
    request_id: VerifiedId,
    state: StateDep,
    response: Response,
) -> dict:
    """Records that the caller notified law enforcement or the host (1.1); the status stays."""
    out, created = status.apply_once(
        state.database,
        request_id,
        lambda s: actions.record_action(s, referral_id, who.subject, body, request_id),
    )
    response.status_code = 201 if created else 200
    return out


@router.get("/v1/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: IdPath, who: AnyPrincipal, session: ReadSession) -> dict:
    """A case the caller reported (its status follows the active referral); the admin sees all."""
    if who.kind not in ("hotline", "admin"):
        raise Forbidden("needs a hotline or admin token")
    hotline_id = who.subject if who.kind == "hotline" else None
    return cases.to_wire(session, cases.case_for(session, case_id, hotline_id), hotline_id)


@router.post("/v1/cases/{case_id}/status", response_model=CaseOut, responses=STATUS_RESPONSES)
def post_case_status(
    case_id: IdPath,
    body: StatusIn,
    who: HotlineDep,
    request_id: VerifiedId,
    state: StateDep,
) -> dict:
    """Moves a domestic case (no referral: its reporter handles it) along the status graph."""
    return status.apply_once(
        state.database,
        request_id,
        lambda s: status.change_case_status(s, case_id, who.subject, body, request_id),
    )
