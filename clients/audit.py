"""The auditor's verifier: checks the hub's checkpoint against a pinned key, proves the
log only grew since the last verified checkpoint, and can recompute the root from entries."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785

from clients import _base
from clients._base import Flow
from clients._merkle import (
    EMPTY_ROOT,
    CompactRange,
    IndexBeyondSize,
    ProofError,
    RootMismatch,
    SizesOutOfOrder,
    WrongHashSize,
    WrongProofSize,
    leaf_hash,
    node_hash,
    root,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from clients._models import KeySet, decode_hashes, leaf_bytes
from clients._note import (
    Checkpoint,
    NoteError,
    SignedNote,
    VerifierKey,
    key_id,
    parse_checkpoint,
    parse_note,
)
from clients.errors import AuditError, BadSignature, EntryMismatch, Fork, KeyMismatch, Rollback
from schemas.log import ConsistencyProof, LogEntry

__all__ = [
    "EMPTY_ROOT",
    "AuditError",
    "AuditResult",
    "AuditState",
    "BadSignature",
    "Checkpoint",
    "CompactRange",
    "EntryMismatch",
    "Fork",
    "IndexBeyondSize",
    "KeyMismatch",
    "NoteError",
    "ProofError",
    "Rollback",
    "RootMismatch",
    "SignedNote",
    "SizesOutOfOrder",
    "VerifierKey",
    "WrongHashSize",
    "WrongProofSize",
    "audit_flow",
    "check_entries",
    "check_growth",
    "key_id",
    "leaf_hash",
    "node_hash",
    "parse_checkpoint",
    "parse_note",
    "root",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]

STATE_VERSION = 1


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def verify_checkpoint(note: str | bytes, key: VerifierKey | str) -> Checkpoint:
    """The checkpoint in `note`, once its signature by `key` and its origin are checked."""
    if isinstance(key, str):
        key = VerifierKey.parse(key)
    try:
        signed = parse_note(note)
        checkpoint = parse_checkpoint(signed.text)
    except NoteError as error:
        raise BadSignature(f"checkpoint rejected: {error}") from None
    if checkpoint.origin != key.name:
        raise KeyMismatch(
            f"the checkpoint is of log {checkpoint.origin!r}, the key is for {key.name!r}"
        )
    try:
        signed.verify(key)
    except NoteError as error:
        raise BadSignature(f"checkpoint rejected: {error}") from None
    return checkpoint


@dataclass
class AuditState:
    """What the auditor verified last; kept in a small JSON file between runs."""

    verifier_key: str
    origin: str
    size: int
    root_hash: str
    checkpoint: str
    verified_at: str
    hub: str | None = None
    # Entries [0, entries_verified) were fetched and hashed to a signed root; `border`
    # is their compact range, so the next full audit fetches only the new entries.
    entries_verified: int = 0
    border: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AuditState | None:
        path = Path(path)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            if data.pop("version", STATE_VERSION) != STATE_VERSION:
                raise ValueError("unknown state version")
            return cls(**data)
        except (ValueError, TypeError) as error:
            raise AuditError(f"state file {path} is not readable: {error}") from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Written to a temporary file and renamed, so a crash never leaves half a state."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps({"version": STATE_VERSION, **asdict(self)}, indent=2))
        os.replace(temporary, path)

    @property
    def root_bytes(self) -> bytes:
        return base64.b64decode(self.root_hash)


@dataclass(frozen=True)
class AuditResult:
    """A verified checkpoint and how it was verified."""

    checkpoint: Checkpoint
    verifier_key: str
    note: str
    previous_size: int | None = None
    trust_on_first_use: bool = False
    key_changed: bool = False
    entries_checked: int = 0
    entries_verified: int = 0
    full: bool = False

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root_hash(self) -> str:
        return _b64(self.checkpoint.root_hash)

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.checkpoint.origin,
            "size": self.size,
            "root_hash": self.root_hash,
            "verifier_key": self.verifier_key,
            "previous_size": self.previous_size,
            "trust_on_first_use": self.trust_on_first_use,
            "key_changed": self.key_changed,
            "entries_checked": self.entries_checked,
            "entries_verified": self.entries_verified,
            "full": self.full,
        }


def check_growth(previous: Checkpoint, current: Checkpoint, proof: ConsistencyProof | None) -> None:
    """Raise `Rollback` or `Fork` unless `current` extends `previous` (proof: None when
    the sizes are equal or the previous tree was empty)."""
    if current.origin != previous.origin:
        raise KeyMismatch(f"log {current.origin!r} is not the audited {previous.origin!r}")
    if current.size < previous.size:
        raise Rollback(
            f"rollback: the hub serves a tree of {current.size} entries, "
            f"but signed one of {previous.size} before"
        )
    if current.size == previous.size:
        if current.root_hash != previous.root_hash:
            raise Fork(
                f"fork: two different roots signed for tree size {current.size} "
                f"({_b64(previous.root_hash)} before, {_b64(current.root_hash)} now)"
            )
        return
    if previous.size == 0:
        return
    if proof is None or (proof.first, proof.second) != (previous.size, current.size):
        raise Fork(f"fork: no consistency proof from {previous.size} to {current.size}")
    try:
        verify_consistency(
            previous.size,
            current.size,
            decode_hashes(proof.proof),
            previous.root_hash,
            current.root_hash,
        )
    except (ProofError, ValueError) as error:
        raise Fork(
            f"fork: tree {current.size} does not extend the verified tree {previous.size}: {error}"
        ) from None


def check_entries(border: CompactRange, entries: list[LogEntry]) -> None:
    """Append `entries` (which must start at `border.size`) to `border`, checking each."""
    for entry in entries:
        if entry.index != border.size:
            raise EntryMismatch(f"the log sent entry {entry.index} where {border.size} was due")
        try:
            leaf = leaf_bytes(entry)
        except ValueError:
            raise EntryMismatch(f"entry {entry.index}: leaf_input is not base64") from None
        if rfc8785.dumps(entry.event) != leaf:
            raise EntryMismatch(
                f"entry {entry.index}: the event does not match its leaf bytes (JCS)"
            )
        border.append(leaf_hash(leaf))


def _key_from_keyset(keyset: KeySet, signed: SignedNote) -> VerifierKey:
    for hub_key in keyset.current():
        try:
            key = hub_key.verifier_key
        except NoteError:
            continue
        if any(s.name == key.name and s.key_id == key.key_id for s in signed.signatures):
            return key
    raise BadSignature("none of the hub's current keys in /v1/keys signed its checkpoint")


def audit_flow(
    state_file: str | os.PathLike[str] | None = None,
    pin: VerifierKey | str | None = None,
    full: bool = False,
    hub: str | None = None,
) -> Flow[AuditResult]:
    """The audit as calls to the hub: fetch and check the checkpoint, prove consistency
    with the state file's, optionally recompute the root from every entry, save state."""
    state = AuditState.load(state_file) if state_file is not None else None
    pinned = VerifierKey.parse(pin) if isinstance(pin, str) else pin
    key = pinned or (VerifierKey.parse(state.verifier_key) if state else None)
    note: str = yield _base.checkpoint()
    trust_on_first_use = False
    if key is None:
        try:
            signed = parse_note(note)
        except NoteError as error:
            raise BadSignature(f"checkpoint rejected: {error}") from None
        keyset: KeySet = yield _base.keys()
        key = _key_from_keyset(keyset, signed)
        trust_on_first_use = True
    checkpoint = verify_checkpoint(note, key)

    border = CompactRange()
    previous_size = None
    if state is not None:
        previous = Checkpoint(state.origin, state.size, state.root_bytes)
        previous_size = previous.size
        proof = None
        if 0 < previous.size < checkpoint.size:
            proof = yield _base.consistency_proof(previous.size, checkpoint.size)
        check_growth(previous, checkpoint, proof)
        if state.entries_verified <= checkpoint.size:
            border = CompactRange(
                state.entries_verified, [base64.b64decode(h) for h in state.border]
            )

    checked = 0
    if full:
        while border.size < checkpoint.size:
            end = min(border.size + _base.ENTRIES_PER_CALL, checkpoint.size)
            entries: list[LogEntry] = yield _base.log_entries(border.size, end)
            entries = [e for e in entries if e.index < checkpoint.size]
            if not entries:
                raise EntryMismatch(f"the log sent no entry at index {border.size}")
            check_entries(border, entries)
            checked += len(entries)
        calculated = border.root()
        if calculated != checkpoint.root_hash:
            raise EntryMismatch(
                f"the {checkpoint.size} entries hash to {_b64(calculated)}, "
                f"not to the signed root {_b64(checkpoint.root_hash)}"
            )

    if state_file is not None:
        AuditState(
            verifier_key=str(key),
            origin=checkpoint.origin,
            size=checkpoint.size,
            root_hash=_b64(checkpoint.root_hash),
            checkpoint=note,
            verified_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            hub=hub,
            entries_verified=border.size,
            border=[_b64(h) for h in border.hashes],
        ).save(state_file)
    return AuditResult(
        checkpoint=checkpoint,
        verifier_key=str(key),
        note=note,
        previous_size=previous_size,
        trust_on_first_use=trust_on_first_use,
        key_changed=state is not None and str(key) != state.verifier_key,
        entries_checked=checked,
        entries_verified=border.size,
        full=full,
    )
