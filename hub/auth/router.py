"""Token administration: `/v1/tokens` (admin)."""

from fastapi import APIRouter, status

from hub.auth import service
from hub.auth.models import Token
from hub.deps import AdminDep, AfterDep, LimitDep, ReadSession, StateDep
from hub.pagination import page
from schemas.common import Page
from schemas.hotlines import TokenCreated, TokenIn, TokenOut

router = APIRouter(prefix="/v1/tokens", tags=["administration"])


def _wire(token: Token) -> TokenOut:
    return TokenOut.model_validate(token, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
def create_token(body: TokenIn, who: AdminDep, state: StateDep) -> TokenCreated:
    """Issues a token; the secret is in this answer and nowhere else, ever."""
    with state.database.transaction() as session:
        token, secret = service.create_token(
            session, body.principal.value, body.subject, body.expires_at
        )
        return TokenCreated(**_wire(token).model_dump(), token=secret)


@router.get("", response_model=Page[TokenOut])
def list_tokens(who: AdminDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    return page([_wire(t) for t in service.list_tokens(session, after, limit)], limit)


@router.delete("/{token_id}", response_model=TokenOut)
def revoke_token(token_id: str, who: AdminDep, state: StateDep) -> TokenOut:
    """Revokes a token; it is refused (401) from the next request on."""
    with state.database.transaction() as session:
        return _wire(service.revoke_token(session, token_id))
