"""An auditor's checks written here from RFC 9162 section 2.1 and the C2SP signed-note and
tlog-checkpoint texts; they share no code with hub.log, so the hub is checked, not itself."""

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(leaf: bytes) -> bytes:
    return sha256(b"\x00" + leaf)


def mth(leaves: list[bytes]) -> bytes:
    """2.1.1: MTH({}) = SHA-256(), MTH({d}) = SHA-256(0x00 || d),
    MTH(D_n) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of 2 < n."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def verify_inclusion(index: int, size: int, hash_: bytes, path: list[bytes], root: bytes) -> bool:
    """2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, hash_
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """2.1.4.2, step by step (equal sizes: an empty proof and equal roots)."""
    if first == second:
        return not path and first_hash == second_hash
    if not path or first < 1 or first > second:
        return False
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha256(b"\x01" + c + fr)
            sr = sha256(b"\x01" + c + sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = sha256(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


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
