"""The hub's Ed25519 signing key: loaded from HUB_SIGNING_KEY, created 0600 on first start.

Webhook signatures, event signatures and log checkpoints are all made with this key.
"""

import base64
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class HubKey:
    private_key: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def kid(self) -> str:
        """RFC 7638 JWK thumbprint of the public key, the `kid` in /v1/keys."""
        return jwk_thumbprint(self.public_bytes)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def jwk_thumbprint(public_bytes: bytes) -> str:
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(public_bytes)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def load_or_create(path: Path) -> HubKey:
    """Reads the PEM key at `path`, or writes a new one there readable by the owner only.

    Several processes may start at once on a fresh deployment: each writes its own
    candidate beside the file and links it into place only if no file is there yet, so
    exactly one key wins and every process reads that one."""
    if not path.exists():
        candidate = _written(path, Ed25519PrivateKey.generate())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process published its key first: read that one
        finally:
            candidate.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return HubKey(key)


def write_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Replaces the key file at `path` with `key`, atomically."""
    os.replace(_written(path, key), path)


def _written(path: Path, key: Ed25519PrivateKey) -> Path:
    """A new file beside `path` holding `key` as PEM, durable, mode 0600 from the first
    byte (the key is never readable by others), named uniquely for this writer."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())
    return Path(name)


class KeyRing:
    """The hub key as its file holds it now: `current()` re-reads the file when
    `admin rotate-key` has replaced it, so running processes sign with the new key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._key = load_or_create(path)
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def current(self) -> HubKey:
        stamp = self._stat()
        # A vanished file keeps the key in memory: only a replaced file means a rotation.
        if stamp is None or stamp == self._stamp:
            return self._key
        with self._lock:
            if stamp != self._stamp:
                self._key = load_or_create(self.path)
                self._stamp = stamp
            return self._key
