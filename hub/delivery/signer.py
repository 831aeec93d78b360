"""Standard Webhooks `v1a` signatures: Ed25519 over "{id}.{timestamp}.{body}" with the hub key.

The key ring travels with the database engine, so `exchange.notify` can sign in any session.
"""

import base64

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from hub import clock
from hub.signing import HubKey, KeyRing

SCHEME = "v1a"
_KEY = "hub_signing_key"


def signed_content(event_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{event_id}.{timestamp}.".encode() + body


def sign(key: HubKey, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1a,<base64 signature>`."""
    signature = key.sign(signed_content(event_id, timestamp, body))
    return f"{SCHEME},{base64.b64encode(signature).decode()}"


def sign_now(key: HubKey, event_id: str, body: bytes) -> tuple[int, str]:
    """(`webhook-timestamp`, `webhook-signature`) for sending `body` now: every push
    attempt and every pulled copy is signed afresh, so receivers may keep a 5-minute
    tolerance; the id stays the event's, so they still deduplicate."""
    timestamp = int(clock.utcnow().timestamp())
    return timestamp, sign(key, event_id, timestamp, body)


def attach_keyring(engine: Engine, keyring: KeyRing) -> None:
    """Makes `keyring`'s current key the signer of events written through `engine`."""

    # Checkout rather than connect: connections opened before this call get the ring too.
    @event.listens_for(engine, "checkout")
    def _attach(_dbapi_connection: object, record: object, _proxy: object) -> None:
        record.info[_KEY] = keyring  # type: ignore[attr-defined]


def key_of(session: Session) -> HubKey:
    keyring = session.connection().info.get(_KEY)
    if keyring is None:
        raise RuntimeError("no signing key on this database; build it with hub.state.build_state")
    return keyring.current()
