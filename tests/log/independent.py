"""An auditor's checkpoint check written here from the C2SP signed-note and tlog-checkpoint
texts; it shares no code with hub.log, so the hub is checked, not itself. (The RFC 9162
reference for roots and proofs is tests/log/vectors/generate.py.)"""

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def open_checkpoint(note: str, vkey: str) -> tuple[str, int, bytes]:
    """Verify a signed note against one verifier key ``name+hex id+base64(0x01||key)`` and
    return the checkpoint's origin, size and root hash; raise AssertionError otherwise."""
    name, key_id_hex, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 1 and len(raw) == 33, "not an Ed25519 verifier key"
    public = raw[1:]
    key_id = sha256(name.encode() + b"\n" + b"\x01" + public)[:4]
    assert key_id.hex() == key_id_hex, "the verifier key's id does not match its key"
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    verified = False
    for line in signatures.rstrip("\n").split("\n"):
        assert line.startswith("\u2014 "), f"not a signature line: {line!r}"
        signer, signature = line[2:].split(" ")
        blob = base64.b64decode(signature)
        if signer != name or blob[:4] != key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], text.encode())
        except InvalidSignature:
            raise AssertionError("the checkpoint's signature does not verify") from None
        verified = True
    assert verified, "no signature by this key"
    origin, size, root, *_extensions = text[:-1].split("\n")
    return origin, int(size), base64.b64decode(root)
