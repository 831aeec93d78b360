"""FastAPI dependencies: the hub state, database sessions and the calling principal.

A route names what it needs: `who: HotlineDep, session: ReadSession`; a route that
writes runs one service call in `state.database.transaction()`, committed before it answers.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from hub.auth.service import Principal, authenticate
from hub.errors import Forbidden, RateLimited, Unauthenticated
from hub.ratelimit import client_key
from hub.state import HubState


# Dependencies that only read the request are coroutines: FastAPI runs a sync one on a
# worker thread, a hop that costs more than its work.
async def get_state(request: Request) -> HubState:
    return request.app.state.hub


StateDep = Annotated[HubState, Depends(get_state)]


def _read_session(state: StateDep) -> Iterator[Session]:
    with state.database.session(write=False) as session:
        yield session


ReadSession = Annotated[Session, Depends(_read_session)]


def _principal(request: Request, state: StateDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send Authorization: Bearer <token>")
    # An address that sent too many bad tokens is refused before its token is looked at,
    # so a guesser learns nothing more until its bucket refills (docs/protocol.md 3).
    address = client_key(request.client.host if request.client else None)
    blocked = state.auth_failures.waiting(address)
    if blocked:
        raise RateLimited(blocked)
    try:
        with state.database.session(write=False) as session:
            principal = authenticate(session, secret.strip(), state.admin_token_hash)
    except Unauthenticated:
        state.auth_failures.retry_after(address)
        raise
    wait = state.rate_limiter.retry_after(principal.token_id)
    if wait:
        raise RateLimited(wait)
    request.state.principal = principal
    return principal


def _require(*kinds: str):  # type: ignore[no-untyped-def]
    async def dependency(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if principal.kind not in kinds:
            named = " or ".join(kinds)
            raise Forbidden(f"needs {'an' if named[0] in 'aeiou' else 'a'} {named} token")
        return principal

    dependency.kinds = kinds  # type: ignore[attr-defined]  # read by hub.openapi (403s)
    return dependency


AnyPrincipal = Annotated[Principal, Depends(_principal)]
AdminDep = Annotated[Principal, Depends(_require("admin"))]
HotlineDep = Annotated[Principal, Depends(_require("hotline"))]
AuditorOrHotline = Annotated[Principal, Depends(_require("auditor", "hotline", "admin"))]


async def _limit(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> int:
    return limit


async def _after(
    # Cursors are ids or codes the hub gave out: printable ASCII (never a NUL).
    after: Annotated[
        str | None, Query(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> str | None:
    return after


async def _seq_after(
    after: Annotated[str | None, Query(min_length=1, max_length=19, pattern=r"^[0-9]+$")] = None,
) -> str | None:
    return after


LimitDep = Annotated[int, Depends(_limit)]
AfterDep = Annotated[str | None, Depends(_after)]
# The events feed and the deliveries list: cursors are event sequence numbers.
SeqAfterDep = Annotated[str | None, Depends(_seq_after)]
