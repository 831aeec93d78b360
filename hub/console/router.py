"""The console's pages (`/console/...`): each GET renders a page from reads, each POST
calls the same service function as the API in one transaction and redirects back."""

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from hub.auth import service as tokens
from hub.cases import service as cases
from hub.console import plots, queries, sessions
from hub.console.web import (
    COOKIE,
    SIGN_IN_COOKIE,
    FormDep,
    PageError,
    SignedInDep,
    done,
    message_of,
    page,
    read_form,
    set_cookie,
)
from hub.delivery import service as deliveries
from hub.deps import StateDep
from hub.errors import Forbidden, HubError, Unauthenticated
from hub.hotlines import service as hotlines
from hub.log import note, signer, storage
from hub.ratelimit import client_key
from hub.referrals import service as referrals
from hub.state import HubState
from hub.stats import service as stats
from schemas.hotlines import HotlineIn, HotlinePatch

router = APIRouter(prefix="/console", include_in_schema=False)
IdPath = Annotated[str, Path(max_length=40)]
HotlinePath = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{2,16}$")]
SIGN_IN_REASONS = {
    "ended": "Your session has ended (signed out, expired or its token revoked). Sign in again.",
    "signed-out": "You are signed out.",
}
LIST_LIMIT = 200


def _change(state: HubState, action: Callable[[Session], Any]) -> tuple[Any, str | None]:
    """Runs one service call in a write transaction: its result, or the message of its error."""
    try:
        with state.database.transaction() as session:
            result = action(session)
            return result, None
    except (HubError, ValidationError) as error:
        return None, message_of(error)


def _status_of(message: str | None) -> int:
    return 422 if message else 200


# Signing in and out


@router.get("/sign-in")
def sign_in_page(request: Request, reason: str | None = None) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = page(
        request, "sign_in.html", None, nonce=nonce, reason=SIGN_IN_REASONS.get(reason or "")
    )
    set_cookie(request, response, SIGN_IN_COOKIE, nonce, 3600)
    return response


@router.post("/sign-in")
async def sign_in(request: Request, state: StateDep) -> Response:
    form = await read_form(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not nonce or not secrets.compare_digest(form.get("csrf"), nonce):
        raise PageError(403, "This sign-in form has expired: reload the page and try again.")
    # Every attempt counts against the caller's address, as every API call counts.
    # Failed sign-ins count with the API's bad tokens from the same address.
    client = request.client.host if request.client else "unknown"
    address = client_key(client)
    wait = state.rate_limiter.retry_after(f"console-sign-in:{client}")
    wait = wait or state.auth_failures.waiting(address)
    if wait:
        return _sign_in_again(request, f"Too many sign-in attempts: try again in {wait} s.", 429)
    lifetime = timedelta(minutes=state.settings.console_session_minutes)
    try:
        with state.database.transaction() as session:
            secret = sessions.sign_in(session, form.get("token"), state.admin_token_hash, lifetime)
    except Unauthenticated:
        state.auth_failures.retry_after(address)
        return _sign_in_again(
            request, "That token is not valid: it is unknown, expired or revoked.", 401
        )
    except Forbidden:
        return _sign_in_again(request, "Only an admin token signs in to the console.", 403)
    response = done("", "signed-in")
    set_cookie(request, response, COOKIE, secret, int(lifetime.total_seconds()))
    response.delete_cookie(SIGN_IN_COOKIE, path="/console")
    return response


def _sign_in_again(request: Request, message: str, status: int) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = page(request, "sign_in.html", None, status, nonce=nonce, error=message)
    set_cookie(request, response, SIGN_IN_COOKIE, nonce, 3600)
    return response


@router.post("/sign-out")
def sign_out(request: Request, state: StateDep, who: SignedInDep, form: FormDep) -> Response:
    with state.database.transaction() as session:
        sessions.sign_out(session, request.cookies.get(COOKIE, ""))
    response = Response(status_code=303, headers={"Location": "/console/sign-in?reason=signed-out"})
    response.delete_cookie(COOKIE, path="/console")
    return response


# The overview


@router.get("")
def overview(request: Request, state: StateDep, who: SignedInDep) -> Response:
    with state.database.session(write=False) as session:
        figures = queries.overview(session)
    return page(request, "overview.html", who, figures=figures)


# The unassigned queue


def _queue(request: Request, state: HubState, who: Any, error: str | None = None) -> Response:
    with state.database.session(write=False) as session:
        queued = cases.unassigned(session, None, LIST_LIMIT)
        candidates = queries.active_hotlines(session)
    return page(
        request,
        "queue.html",
        who,
        _status_of(error),
        cases=queued,
        hotlines=candidates,
        error=error,
    )


@router.get("/queue")
def queue(request: Request, state: StateDep, who: SignedInDep) -> Response:
    return _queue(request, state, who)


@router.post("/queue/{case_id}/route")
def route_case(
    request: Request, case_id: IdPath, state: StateDep, who: SignedInDep, form: FormDep
) -> Response:
    _, error = _change(
        state, lambda s: referrals.route_by_hand(s, case_id, form.get("hotline"), who.subject)
    )
    return _queue(request, state, who, error) if error else done("/queue", "routed")


# Dead deliveries


def _deliveries(request: Request, state: HubState, who: Any, error: str | None = None) -> Response:
    with state.database.session(write=False) as session:
        dead = [event for _, event in deliveries.deliveries(session, "dead", 0, LIST_LIMIT)]
    return page(request, "deliveries.html", who, _status_of(error), events=dead, error=error)


@router.get("/deliveries")
def dead_deliveries(request: Request, state: StateDep, who: SignedInDep) -> Response:
    return _deliveries(request, state, who)


@router.post("/deliveries/{event_id}/retry")
def retry(
    request: Request, event_id: IdPath, state: StateDep, who: SignedInDep, form: FormDep
) -> Response:
    _, error = _change(state, lambda s: deliveries.retry(s, event_id))
    return _deliveries(request, state, who, error) if error else done("/deliveries", "retried")


# Hotlines and their tokens


def _countries(text: str) -> list[str]:
    return [c.upper() for c in text.replace(",", " ").split()]


def _keys(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _hotlines(request: Request, state: HubState, who: Any, error: str | None = None) -> Response:
    with state.database.session(write=False) as session:
        rows = [hotlines.to_wire(session, h) for h in hotlines.list_hotlines(session, None, 1000)]
    return page(request, "hotlines.html", who, _status_of(error), hotlines=rows, error=error)


@router.get("/hotlines")
def hotline_list(request: Request, state: StateDep, who: SignedInDep) -> Response:
    return _hotlines(request, state, who)


@router.post("/hotlines")
def register_hotline(
    request: Request, state: StateDep, who: SignedInDep, form: FormDep
) -> Response:
    def register(session: Session) -> None:
        body = HotlineIn(
            id=form.get("id").upper(),
            name=form.get("name"),
            countries=_countries(form.get("countries")),
            webhook_url=form.get("webhook_url") or None,
            public_keys=_keys(form.get("public_keys")),
        )
        hotlines.register(session, body, who.subject, state.webhook_check)

    _, error = _change(state, register)
    return _hotlines(request, state, who, error) if error else done("/hotlines", "registered")


def _hotline(
    request: Request,
    state: HubState,
    who: Any,
    hotline_id: str,
    error: str | None = None,
    new_token: str | None = None,
) -> Response:
    with state.database.session(write=False) as session:
        hotline = hotlines.to_wire(session, hotlines.get(session, hotline_id))
        issued = queries.tokens_of(session, hotline_id)
    return page(
        request,
        "hotline.html",
        who,
        _status_of(error),
        hotline=hotline,
        tokens=issued,
        error=error,
        new_token=new_token,
    )


@router.get("/hotlines/{hotline_id}")
def hotline_page(
    request: Request, hotline_id: HotlinePath, state: StateDep, who: SignedInDep
) -> Response:
    try:
        return _hotline(request, state, who, hotline_id)
    except HubError as error:
        raise PageError(404, message_of(error)) from None


@router.post("/hotlines/{hotline_id}")
def change_hotline(
    request: Request, hotline_id: HotlinePath, state: StateDep, who: SignedInDep, form: FormDep
) -> Response:
    def change(session: Session) -> None:
        patch = HotlinePatch(
            name=form.get("name"),
            countries=_countries(form.get("countries")),
            webhook_url=form.get("webhook_url") or None,
            public_keys=_keys(form.get("public_keys")),
        )
        hotlines.update(session, hotline_id, patch, who.subject, state.webhook_check)

    _, error = _change(state, change)
    if error:
        return _hotline(request, state, who, hotline_id, error)
    return done(f"/hotlines/{hotline_id}", "changed")


@router.post("/hotlines/{hotline_id}/active")
def set_active(
    request: Request, hotline_id: HotlinePath, state: StateDep, who: SignedInDep, form: FormDep
) -> Response:
    active = form.get("active") == "true"
    patch = HotlinePatch(active=active)
    _, error = _change(
        state,
        lambda s: hotlines.update(s, hotline_id, patch, who.subject, state.webhook_check),
    )
    if error:
        return _hotline(request, state, who, hotline_id, error)
    return done(f"/hotlines/{hotline_id}", "activated" if active else "deactivated")


@router.post("/hotlines/{hotline_id}/tokens")
def create_token(
    request: Request, hotline_id: HotlinePath, state: StateDep, who: SignedInDep, form: FormDep
) -> Response:
    """The new secret is on this answer's page only (never stored, never shown again)."""
    created, error = _change(state, lambda s: tokens.create_token(s, "hotline", hotline_id, None))
    return _hotline(request, state, who, hotline_id, error, created[1] if created else None)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: IdPath, state: StateDep, who: SignedInDep, form: FormDep
) -> Response:
    revoked, error = _change(state, lambda s: tokens.revoke_token(s, token_id))
    if error:
        raise PageError(404, error)
    if revoked.principal != "hotline":
        return done("", "revoked")
    return done(f"/hotlines/{revoked.subject}", "revoked")


# Routes


def _routes(request: Request, state: HubState, who: Any, error: str | None = None) -> Response:
    with state.database.session(write=False) as session:
        routes = hotlines.list_routes(session, None, 1000)
        candidates = queries.active_hotlines(session)
        served = {h.id: hotlines.countries_of(session, h.id) for h in candidates}
    return page(
        request,
        "routes.html",
        who,
        _status_of(error),
        routes=routes,
        hotlines=candidates,
        served=served,
        error=error,
    )


@router.get("/routes")
def route_list(request: Request, state: StateDep, who: SignedInDep) -> Response:
    return _routes(request, state, who)


@router.post("/routes")
def set_route(request: Request, state: StateDep, who: SignedInDep, form: FormDep) -> Response:
    country = form.get("country").upper()
    _, error = _change(
        state, lambda s: hotlines.set_route(s, country, form.get("hotline"), who.subject)
    )
    return _routes(request, state, who, error) if error else done("/routes", "route")


# Statistics


def _timing_rows(timing: dict[str, Any]) -> list[tuple[str, list[float | None]]]:
    return [(country, [s["p50"], s["p90"]]) for country, s in timing["by_country"].items()]


@router.get("/stats")
def statistics(request: Request, state: StateDep, who: SignedInDep) -> Response:
    with state.database.session(write=False) as session:
        figures = stats.statistics(session)
        weekly = queries.reports_per_week(session)
    referral = plots.bars(
        "Time to referral by hosting country",
        _timing_rows(figures["time_to_referral"]),
        ["p50", "p90"],
        plots.duration,
    )
    removal = plots.bars(
        "Time to removal by hosting country",
        _timing_rows(figures["time_to_removal"]),
        ["p50", "p90"],
        plots.duration,
    )
    volume = plots.columns(
        "Reports per week", [(week.strftime("%d %b"), count) for week, count in weekly]
    )
    mix = plots.bars(
        "Cases by status",
        [(status, [count]) for status, count in sorted(figures["cases"]["by_status"].items())],
        ["cases"],
    )
    return page(
        request,
        "stats.html",
        who,
        figures=figures,
        referral=referral,
        removal=removal,
        volume=volume,
        mix=mix,
    )


# The log


@router.get("/log")
def log(request: Request, state: StateDep, who: SignedInDep) -> Response:
    with state.database.session(write=False) as session:
        size = storage.size(session)
        checkpoint = signer.latest(session)
    origin = state.settings.log_origin
    verifier = note.verifier_key(origin, state.current_key().public_bytes)
    return page(
        request, "log.html", who, size=size, checkpoint=checkpoint, verifier=verifier, origin=origin
    )
