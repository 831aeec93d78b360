"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys: how the hub signs its
checkpoints and how anyone holding its verifier key checks them."""

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "\N{EM DASH} "

_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class NoteError(ValueError):
    """A note, key name or verifier key is not of the form the spec allows."""


class MalformedNote(NoteError):
    """The note breaks the signed-note format (separator, lines, base64, characters)."""


class UnverifiedNote(NoteError):
    """No signature on the note is from a known key."""


class InvalidNoteSignature(NoteError):
    """A signature from a known key does not verify: the whole note is rejected."""

    def __init__(self, name: str, key_id: bytes) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id.hex()}")
        self.name = name
        self.key_id = key_id


def _has_control_character(text: str) -> bool:
    return any(ord(char) < 0x20 and char != "\n" for char in text)


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty, without Unicode spaces, ``+`` or control characters."""
    return (
        bool(name)
        and "+" not in name
        and not any(char.isspace() or ord(char) < 0x20 for char in name)
        and _encodes_as_utf8(name)
    )


def _encodes_as_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decode_base64(text: str) -> bytes:
    """Standard base64 in its canonical form only (RFC 4648 section 4, padded)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise NoteError(f"invalid base64 {text!r}") from error
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"non-canonical base64 {text!r}")
    return raw


def key_id(name: str, public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || 0x01 || public key)[:4]``: the Ed25519 key ID."""
    if len(public_key) != _PUBLIC_KEY_SIZE:
        raise NoteError(f"Ed25519 public key is {len(public_key)} bytes, not 32")
    encoded = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(encoded).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A known Ed25519 note key: its name and raw 32-byte public key."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        object.__setattr__(self, "key_id", key_id(self.name, self.public_key))

    @property
    def verifier_key(self) -> str:
        """``<name>+<key id hex>+<base64(0x01 || public key)>``."""
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != _SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def verifier_key(name: str, public_key: bytes) -> str:
    """The verifier key string for an Ed25519 public key under ``name``."""
    return Verifier(name, public_key).verifier_key


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse ``<name>+<key id hex>+<base64(0x01 || public key)>``, checking the key ID."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key is not <name>+<key id>+<key>")
    name, key_id_hex, key_base64 = parts
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if len(key_id_hex) != 8 or not _HEX_DIGITS.issuperset(key_id_hex):
        raise NoteError(f"key id {key_id_hex!r} is not 8 hex digits")
    raw = _decode_base64(key_base64)
    if not raw or raw[0] != ALG_ED25519:
        raise NoteError("verifier key is not an Ed25519 (0x01) key")
    if len(raw) != 1 + _PUBLIC_KEY_SIZE:
        raise NoteError(f"Ed25519 public key is {len(raw) - 1} bytes, not 32")
    verifier = Verifier(name, raw[1:])
    if verifier.key_id != bytes.fromhex(key_id_hex):
        raise NoteError(f"key id {key_id_hex} does not match the key")
    return verifier


def signature_line(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """``— <name> <base64(key id || Ed25519 signature of text)>`` and its newline."""
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    public_key = private_key.public_key().public_bytes_raw()
    signature = private_key.sign(text.encode("utf-8"))
    encoded = base64.b64encode(key_id(name, public_key) + signature).decode("ascii")
    return f"{SIGNATURE_PREFIX}{name} {encoded}\n"


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: ``text``, a blank line, and the signature line of ``name``'s key."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _has_control_character(text) or not _encodes_as_utf8(text):
        raise NoteError("note text must be UTF-8 without control characters but newline")
    return text + "\n" + signature_line(text, name, private_key)


def open_note(note: str | bytes, verifiers: Iterable[Verifier | str]) -> tuple[str, list[str]]:
    """Check a signed note against known keys; return its text and the names of the known
    keys whose signatures verified.

    Signatures from unknown keys (a different name or key ID) are ignored. A known key's
    failing signature rejects the note (``InvalidNoteSignature``); so does the absence of
    any verified signature (``UnverifiedNote``).
    """
    known: dict[tuple[str, bytes], Verifier] = {}
    for entry in verifiers:
        verifier = parse_verifier_key(entry) if isinstance(entry, str) else entry
        known[verifier.name, verifier.key_id] = verifier

    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedNote("note is not valid UTF-8") from error
    if _has_control_character(note) or not _encodes_as_utf8(note):
        raise MalformedNote("note has control characters or is not valid UTF-8")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note has no blank line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block.endswith("\n"):
        raise MalformedNote("note does not end with a signature line")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"note has more than {MAX_SIGNATURES} signatures")

    message = text.encode("utf-8")
    signers: list[str] = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNote(f"not a signature line: {line!r}")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not is_valid_key_name(name) or not encoded:
            raise MalformedNote(f"not a signature line: {line!r}")
        try:
            raw = _decode_base64(encoded)
        except NoteError as error:
            raise MalformedNote(f"signature of {name} is not base64") from error
        if len(raw) < 5:
            raise MalformedNote(f"signature of {name} is too short")
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            continue
        if not verifier.verify(message, raw[4:]):
            raise InvalidNoteSignature(name, raw[:4])
        if name not in signers:
            signers.append(name)
    if not signers:
        raise UnverifiedNote("note has no signature from a known key")
    return text, signers
