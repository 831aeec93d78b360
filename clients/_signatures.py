"""Standard Webhooks v1a (asymmetric Ed25519) signatures: signing a hotline's status
updates, verifying the hub's webhooks, and reading keys in each of their spellings."""

from __future__ import annotations

import base64
import binascii
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeAlias, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clients._models import KeySet
from clients._note import NoteError, VerifierKey, looks_like_verifier_key
from clients.errors import WebhookVerificationError

__all__ = ["PublicKeys", "SigningKey", "load_signing_key", "public_keys", "sign", "verify"]

# The hub signs every push attempt (and every pulled copy) when it sends it, so the
# Standard Webhooks default applies: older than 5 minutes is stale.
TOLERANCE = 5 * 60
FUTURE_SKEW = 5 * 60
SCHEME = "v1a"

SigningKey: TypeAlias = Ed25519PrivateKey | str | os.PathLike[str] | bytes
PublicKeys: TypeAlias = str | bytes | Ed25519PublicKey | KeySet | Mapping[str, Any] | Iterable[Any]


def signed_content(message_id: str, timestamp: int | str, body: bytes) -> bytes:
    return f"{message_id}.{timestamp}.".encode() + body


def sign(
    key: Ed25519PrivateKey, message_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three headers that sign `body` as message `message_id`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = key.sign(signed_content(message_id, timestamp, body))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"{SCHEME},{base64.b64encode(signature).decode()}",
    }


def _raw_private(raw: bytes) -> Ed25519PrivateKey:
    if len(raw) == 64:  # seed followed by the public key, as some tools write it
        raw = raw[:32]
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 private key is 32 bytes, not {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_signing_key(key: SigningKey) -> Ed25519PrivateKey:
    """A hotline's signing key from a key object, raw bytes, `whsk_<base64>` or a PEM file."""
    if isinstance(key, Ed25519PrivateKey):
        return key
    if isinstance(key, bytes):
        return _raw_private(key)
    if isinstance(key, str) and key.startswith("whsk_"):
        return _raw_private(base64.b64decode(key[5:]))
    data = Path(key).expanduser().read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        loaded = serialization.load_pem_private_key(data, password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{key} does not hold an Ed25519 private key")
        return loaded
    if data.strip().startswith(b"whsk_"):
        return _raw_private(base64.b64decode(data.strip()[5:]))
    return _raw_private(data)


def _decode_public(text: str) -> bytes:
    text = text.strip()
    if looks_like_verifier_key(text):
        try:
            return VerifierKey.parse(text).public_key
        except NoteError as error:
            raise ValueError(str(error)) from None
    if text.startswith("whpk_"):
        text = text[5:]
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"key {text[:20]!r}… is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, not {len(raw)}")
    return raw


def public_keys(keys: PublicKeys) -> list[bytes]:
    """Raw Ed25519 public keys from `whpk_…`, base64, verifier-key strings, raw bytes,
    key objects, the `/v1/keys` document, or a list of any of these."""
    if isinstance(keys, Ed25519PublicKey):
        return [keys.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)]
    if isinstance(keys, bytes):
        if len(keys) != 32:
            raise ValueError(f"an Ed25519 public key is 32 bytes, not {len(keys)}")
        return [keys]
    if isinstance(keys, str):
        return [_decode_public(keys)]
    if isinstance(keys, KeySet):
        return [key.public_key for key in keys.keys]
    if isinstance(keys, Mapping):
        return [key.public_key for key in KeySet.model_validate(keys).keys]
    found: list[bytes] = []
    for key in cast(Iterable[Any], keys):
        found.extend(public_keys(key))
    return found


def verify(
    headers: Mapping[str, str],
    body: bytes,
    keys: PublicKeys,
    *,
    tolerance: int | None = TOLERANCE,
    now: float | None = None,
) -> str:
    """Raise `WebhookVerificationError` unless a v1a signature of one of `keys` covers
    `body`, the timestamp is at most `tolerance` seconds old (None: any age) and at most
    5 minutes ahead; returns the message id."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    header = lowered.get("webhook-signature")
    if not message_id or not timestamp or not header:
        raise WebhookVerificationError(
            "missing webhook-id, webhook-timestamp or webhook-signature header"
        )
    if not timestamp.isdigit():
        raise WebhookVerificationError(f"webhook-timestamp {timestamp[:20]!r} is not a number")
    age = (time.time() if now is None else now) - int(timestamp)
    if tolerance is not None and age > tolerance:
        raise WebhookVerificationError(f"message is too old ({int(age)} s)")
    if age < -FUTURE_SKEW:
        raise WebhookVerificationError(f"message timestamp is {int(-age)} s in the future")
    try:
        candidates = [Ed25519PublicKey.from_public_bytes(raw) for raw in public_keys(keys)]
    except ValueError as error:
        raise WebhookVerificationError(f"unusable hub key: {error}") from None
    if not candidates:
        raise WebhookVerificationError("no hub key to verify with")
    content = signed_content(message_id, timestamp, body)
    for entry in header.split():
        scheme, _, encoded = entry.partition(",")
        if scheme != SCHEME:
            continue
        try:
            signature = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        for key in candidates:
            try:
                key.verify(signature, content)
            except InvalidSignature:
                continue
            return message_id
    raise WebhookVerificationError("no valid v1a signature of a hub key")
