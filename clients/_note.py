"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 verifier keys, and the
tlog-checkpoint body they carry (c2sp.org/tlog-checkpoint); verification only."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "Checkpoint",
    "NoteError",
    "NoteSignature",
    "SignedNote",
    "VerifierKey",
    "key_id",
    "parse_checkpoint",
    "parse_note",
]

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space open every signature line
MAX_SIGNATURES = 100
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}", re.ASCII)


class NoteError(ValueError):
    """A note, a verifier key or a checkpoint is malformed, or a signature does not verify."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not base64") from None


def _check_name(name: str) -> None:
    if not name or any(c in name for c in " +") or any(ord(c) < 0x21 for c in name):
        raise NoteError(f"key name {name!r} is empty or holds a space, '+' or control character")


def looks_like_verifier_key(text: str) -> bool:
    return re.match(r"[^+\s]+\+[0-9a-f]{8}\+", text.strip()) is not None


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || "\\n" || 0x01 || key)[:4]: the key id an Ed25519 signature names."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """An Ed25519 signed-note verifier key: `<name>+<key id hex>+<base64(0x01 || key)>`."""

    name: str
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)  # base64 may hold '+' itself
        if len(parts) != 3:
            raise NoteError("a verifier key reads <name>+<key id hex>+<base64 key>")
        name, hex_id, encoded = parts
        _check_name(name)
        raw = _b64decode(encoded, "verifier key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("verifier key is not an Ed25519 key (0x01 and 32 bytes)")
        key = cls(name, raw[1:])
        if not re.fullmatch(r"[0-9a-f]{8}", hex_id) or bytes.fromhex(hex_id) != key.key_id:
            raise NoteError(f"verifier key id {hex_id} does not match its name and key")
        return key

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class SignedNote:
    """A note's text (ending in a newline) and its signature lines, not yet verified."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def verify(self, key: VerifierKey) -> None:
        """Raise `NoteError` unless a signature line of `key` verifies over the text."""
        mine = [s for s in self.signatures if s.name == key.name and s.key_id == key.key_id]
        if not mine:
            named = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in self.signatures)
            raise NoteError(f"not signed by {key.name}+{key.key_id.hex()} (signed by: {named})")
        for signature in mine:
            if not key.verify(self.text.encode(), signature.signature):
                raise NoteError(f"the signature of {key.name}+{key.key_id.hex()} is not valid")


def parse_note(data: str | bytes) -> SignedNote:
    """Split a signed note into text and signature lines, checking the format only."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("a note must be UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in data):
        raise NoteError("a note may hold no control character but newline")
    split = data.rfind("\n\n")
    if split < 0 or not data.endswith("\n"):
        raise NoteError("a note is text, a blank line and signature lines, each ending in \\n")
    text, block = data[: split + 1], data[split + 2 :]
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"signature line {line[:40]!r} does not start with an em dash")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        _check_name(name)
        raw = _b64decode(encoded, "signature")
        if len(raw) < 5:
            raise NoteError("a signature holds a 4-byte key id and the signature")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return SignedNote(text, tuple(signatures))


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: its origin, its size and its root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


def parse_checkpoint(text: str) -> Checkpoint:
    """`<origin>\\n<size>\\n<base64 root>\\n`, then optional extension lines."""
    if not text.endswith("\n"):
        raise NoteError("a checkpoint ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has origin, tree size and root hash lines")
    origin, size, root_line, *extensions = lines
    if not origin or not all(extensions):
        raise NoteError("a checkpoint has no empty line")
    if not _DECIMAL.fullmatch(size) or int(size) >= 2**64:
        raise NoteError(f"tree size {size[:30]!r} is not a decimal number without leading 0s")
    root_hash = _b64decode(root_line, "root hash")
    if len(root_hash) != 32:
        raise NoteError(f"root hash is {len(root_hash)} bytes, not 32")
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))
