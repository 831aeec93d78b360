"""Issuing, listing, revoking and checking bearer tokens.

A token is 256 random bits shown once; only its SHA-256 is stored, so a database leak
gives no usable credential. A high-entropy secret needs no slow password hash.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from hub import clock
from hub.auth.models import Token
from hub.db import execute
from hub.errors import Invalid, NotFound, Unauthenticated, field_error
from hub.hotlines.models import Hotline
from hub.ids import new_id

TOKEN_PREFIX = "hub_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True)
class Principal:
    kind: str  # "hotline" | "admin" | "auditor"
    subject: str
    token_id: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, principal: str, subject: str, expires_at: datetime | None
) -> tuple[Token, str]:
    now = clock.utcnow()
    if expires_at is not None and expires_at <= now:
        raise Invalid([field_error(["body", "expires_at"], "must be in the future")])
    if principal == "hotline" and session.get(Hotline, subject) is None:
        raise Invalid([field_error(["body", "subject"], f"no hotline '{subject}' is registered")])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = Token(
        id=new_id("tok"),
        principal=principal,
        subject=subject,
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(session: Session, after: str | None, limit: int) -> list[Token]:
    query = select(Token).order_by(Token.id).limit(limit)
    if after:
        query = query.where(Token.id > after)
    return list(session.scalars(query))


def revoke_token(session: Session, token_id: str) -> Token:
    token = session.get(Token, token_id)
    if token is None:
        raise NotFound(f"no token '{token_id}'")
    if token.revoked_at is None:
        token.revoked_at = clock.utcnow()
    return token


# One statement for every request, built once: the token and, for a hotline's, whether
# the hotline is active (None if it is gone).
_TOKEN_QUERY = (
    select(
        Token.id, Token.principal, Token.subject, Token.expires_at, Token.revoked_at, Hotline.active
    )
    .outerjoin(Hotline, and_(Token.principal == "hotline", Hotline.id == Token.subject))
    .where(Token.token_hash == bindparam("digest"))
)


def authenticate(session: Session, secret: str, admin_token_hash: str | None) -> Principal:
    digest = hash_token(secret)
    if admin_token_hash is not None and hmac.compare_digest(digest, admin_token_hash):
        return Principal("admin", "bootstrap", "tok_bootstrap")
    token = execute(session, _TOKEN_QUERY, {"digest": digest}).first()
    now = clock.utcnow()
    if token is None or token.revoked_at is not None:
        raise Unauthenticated()
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("token has expired")
    if token.principal == "hotline" and not token.active:
        raise Unauthenticated("the token's hotline is not active")
    return Principal(token.principal, token.subject, token.id)
