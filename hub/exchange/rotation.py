"""`python -m hub admin rotate-key`: retires the hub key and signs on with a new one.

It lives beside the sequencer because the rotation leaf must end the tree that the new
key signs first: it is appended under the sequencer's lock, not queued.
"""

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update
from sqlalchemy.orm import Session

from hub import clock
from hub.db import Database
from hub.exchange import sequencer
from hub.log import signer
from hub.log.models import HubKeyRecord
from hub.log.note import verifier_key
from hub.log.queue import Entry
from hub.log.signer import record
from hub.settings import Settings
from hub.signing import HubKey, b64url, load_or_create, write_key

_keys = HubKeyRecord.__table__


def _keep_retired_copy(path: Path, key: HubKey) -> Path:
    """Writes the outgoing key's PEM beside the key file (owner-only), once."""
    backup = path.with_name(f"{path.name}.{key.kid}.retired")
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return backup
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())
    return backup


def rotate_in(session: Session, path: Path, origin: str) -> tuple[HubKey, HubKey]:
    """Rotates the key inside the caller's transaction: retires the current key, records a
    new one, appends `hub.key_rotated`, signs that tree with the new key and only then replaces
    the key file. Returns ``(old, new)``; the caller restores ``old`` if its commit fails."""
    old = load_or_create(path)
    new = HubKey(Ed25519PrivateKey.generate())
    now = clock.utcnow()
    record(session, old, now)
    session.execute(
        update(_keys).where(_keys.c.kid == old.kid, _keys.c.retired_at.is_(None)),
        {"retired_at": now},
    )
    record(session, new, now)
    subject = {
        "retired": {"kty": "OKP", "crv": "Ed25519", "x": b64url(old.public_bytes)},
        "current": {"kty": "OKP", "crv": "Ed25519", "x": b64url(new.public_bytes)},
    }
    fields = {"kid": new.kid, "retired_kid": old.kid}
    # Under the sequencer's lock, so the rotation leaf ends the tree the new key signs.
    sequencer.append_now(session, [Entry("hub.key_rotated", "hub", subject, fields)])
    signer.sign(session, new, origin)
    _keep_retired_copy(path, old)
    write_key(path, new.private_key)
    return old, new


def rotate(settings: Settings) -> int:
    """`python -m hub admin rotate-key`: prints the new key's id and verifier key."""
    from hub.migrate import upgrade

    database = Database(settings)
    upgrade(database.engine)
    path = settings.signing_key_path
    rotated: tuple[HubKey, HubKey] | None = None
    try:
        with database.transaction() as session:
            rotated = rotate_in(session, path, settings.log_origin)
    except BaseException:
        if rotated is not None:
            # The file already holds the new key but the database never learnt of it.
            write_key(path, rotated[0].private_key)
        raise
    finally:
        database.dispose()
    assert rotated is not None
    old, new = rotated
    print(verifier_key(settings.log_origin, new.public_bytes))
    print(f"signing with {new.kid} from now on; {old.kid} retired", file=sys.stderr)
    return 0
