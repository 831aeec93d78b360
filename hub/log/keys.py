"""The hub's signing keys over time: recorded as they come into use (`signer.record`) and
published as a JWKS with their signed-note and webhook forms. Rotation is
`hub.exchange.rotation`: its leaf must land in the sequencer's order."""

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import clock
from hub.log.models import HubKeyRecord
from hub.log.note import verifier_key
from hub.signing import HubKey, b64url, jwk_thumbprint

_keys = HubKeyRecord.__table__


def jwk(
    public_key: bytes, origin: str, created_at: datetime, retired_at: datetime | None
) -> dict[str, Any]:
    """One JWKS entry: the RFC 8037 OKP key, plus the forms the note and webhook verifiers take."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(public_key),
        "kid": jwk_thumbprint(public_key),
        "use": "sig",
        "alg": "EdDSA",
        "note_verifier_key": verifier_key(origin, public_key),
        "webhook_public_key": "whpk_" + base64.b64encode(public_key).decode("ascii"),
        "created_at": created_at,
        "not_after": retired_at,
    }


def published(session: Session, current: HubKey, origin: str) -> list[dict[str, Any]]:
    """Every key the hub has signed with: keys in use first, then retired ones, newest first."""
    rows = session.execute(select(_keys)).all()
    entries = [jwk(bytes(r.public_key), origin, r.created_at, r.retired_at) for r in rows]
    if all(entry["kid"] != current.kid for entry in entries):
        # The sequencer records a new key within a poll; until then it is still ours.
        entries.append(jwk(current.public_bytes, origin, clock.utcnow(), None))
    entries.sort(key=lambda entry: entry["created_at"], reverse=True)
    entries.sort(key=lambda entry: entry["not_after"] is not None)
    return entries
