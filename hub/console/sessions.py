"""Console sessions: an admin token is exchanged for a random session secret kept in a
cookie; the table holds only its SHA-256, and the CSRF token is derived from the secret."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hub import clock
from hub.auth.models import Token
from hub.auth.service import authenticate, hash_token
from hub.console.models import ConsoleSession
from hub.errors import Forbidden
from hub.ids import new_id

BOOTSTRAP_TOKEN_ID = "tok_bootstrap"  # noqa: S105 (the id authenticate() gives it, not a secret)


@dataclass(frozen=True)
class SignedIn:
    """The admin behind a console request and the CSRF token its forms carry."""

    subject: str
    token_id: str
    csrf: str


def csrf_token(secret: str) -> str:
    """Only a holder of the session cookie can compute this; it goes in every form."""
    return hmac.new(secret.encode(), b"console-csrf", hashlib.sha256).hexdigest()


def sign_in(session: Session, token: str, admin_token_hash: str | None, lifetime: timedelta) -> str:
    """Checks an admin token (raises Unauthenticated/Forbidden) and returns a session secret."""
    principal = authenticate(session, token, admin_token_hash)
    if principal.kind != "admin":
        raise Forbidden("only an admin token signs in to the console")
    now = clock.utcnow()
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            id=new_id("ses"),
            secret_hash=hash_token(secret),
            subject=principal.subject,
            token_id=principal.token_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return secret


def resolve(session: Session, secret: str, admin_token_hash: str | None) -> SignedIn | None:
    """The signed-in admin, or None for an unknown, expired or revoked session."""
    row = session.query(ConsoleSession).filter_by(secret_hash=hash_token(secret)).one_or_none()
    if row is None or row.expires_at <= clock.utcnow():
        return None
    if not _token_still_valid(session, row.token_id, admin_token_hash):
        return None
    return SignedIn(row.subject, row.token_id, csrf_token(secret))


def _token_still_valid(session: Session, token_id: str, admin_token_hash: str | None) -> bool:
    if token_id == BOOTSTRAP_TOKEN_ID:
        return admin_token_hash is not None
    token = session.get(Token, token_id)
    if token is None or token.revoked_at is not None:
        return False
    return token.expires_at is None or token.expires_at > clock.utcnow()


def sign_out(session: Session, secret: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.secret_hash == hash_token(secret)))
