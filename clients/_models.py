"""Answer models the SDK adds to `schemas`: a submitted report with its status, a
rejected batch item, and the hub's keys with their decoded spellings."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from clients._note import NoteError, VerifierKey
from schemas import log as schemas_log
from schemas.common import Problem
from schemas.events import AckOut, DeliveryOut, EventOut
from schemas.log import ConsistencyProof, InclusionProof, LogEntry, PublicKey
from schemas.reports import ReportOut

__all__ = [
    "AckOut",
    "ConsistencyProof",
    "DeliveryOut",
    "EventOut",
    "HubKey",
    "InclusionProof",
    "KeySet",
    "LogEntry",
    "RejectedReport",
    "SubmittedReport",
]


class SubmittedReport(ReportOut):
    """A report the hub accepted: `status` 201 (new) or 200 (a replay of its reference)."""

    status: Literal[200, 201]

    @property
    def created(self) -> bool:
        return self.status == 201


class RejectedReport(Problem):
    """A batch item the hub refused: its problem, its position and its reference."""

    index: int = -1
    reference: str | None = None


def _b64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{text[:20]!r} is not base64") from None


def decode_hashes(hashes: list[str]) -> list[bytes]:
    """Proof hashes as the hub sends them (base64) as bytes."""
    return [base64.b64decode(value, validate=True) for value in hashes]


def leaf_bytes(entry: LogEntry) -> bytes:
    """The exact leaf bytes the log hashed for `entry`."""
    return base64.b64decode(entry.leaf_input, validate=True)


class HubKey(PublicKey):
    """One of the hub's Ed25519 keys (a JWK) with its signed-note and webhook spellings."""

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte key."""
        return _b64(self.x)

    @property
    def verifier_key(self) -> VerifierKey:
        """The signed-note verifier key, checked against the JWK's key."""
        key = VerifierKey.parse(self.note_verifier_key)
        if key.public_key != self.public_key:
            raise NoteError(f"key {self.kid}: its verifier key and its JWK differ")
        return key

    @property
    def retired(self) -> bool:
        return self.not_after is not None


class KeySet(schemas_log.KeySet):
    """`GET /v1/keys`: the hub's current and retired keys."""

    keys: list[HubKey]  # type: ignore[assignment]

    def current(self) -> list[HubKey]:
        return [key for key in self.keys if not key.retired]
