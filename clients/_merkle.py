"""RFC 9162 section 2.1 verification for the auditor: leaf and node hashes, roots,
inclusion and consistency proofs. Pure functions, no I/O, no import of the hub."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

__all__ = [
    "EMPTY_ROOT",
    "CompactRange",
    "ProofError",
    "RootMismatch",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]


class ProofError(ValueError):
    """A proof is malformed or does not fit the index and tree sizes it is for."""


class RootMismatch(ProofError):
    """A well-formed proof leads to another root than the expected one."""

    def __init__(self, expected: bytes, calculated: bytes, what: str = "root") -> None:
        super().__init__(f"{what} is {calculated.hex()}, expected {expected.hex()}")
        self.expected = expected
        self.calculated = calculated


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class CompactRange:
    """The right border of a growing tree: one perfect subtree hash per set bit of its
    size, so a root is computed from a stream of leaves in O(log n) memory."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ProofError(f"a tree of {size} leaves has {size.bit_count()} border hashes")
        for value in hashes:
            _check_hash(value, "border hash")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf_hash_value: bytes) -> None:
        value = leaf_hash_value
        # Each trailing one bit of the old size is a perfect subtree the new leaf completes.
        size = self.size
        while size & 1:
            value = node_hash(self.hashes.pop(), value)
            size >>= 1
        self.hashes.append(value)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        value = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            value = node_hash(left, value)
        return value


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of the leaves whose hashes are given, in order."""
    border = CompactRange()
    for value in leaf_hashes:
        border.append(value)
    return border.root()


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root `proof` leads to from leaf hash `leaf` at `index`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_hash(leaf, "leaf hash")
    for value in proof:
        _check_hash(value, "proof hash")
    fn, sn = index, size - 1
    result = leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof is longer than a tree of {size} needs")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof is shorter than a tree of {size} needs")
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise `ProofError` unless `proof` puts leaf hash `leaf` at `index` of `expected_root`."""
    _check_hash(expected_root, "root")
    calculated = root_from_inclusion_proof(index, size, leaf, proof)
    if calculated != expected_root:
        raise RootMismatch(expected_root, calculated)


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """RFC 9162 2.1.4.2: raise `ProofError` unless the tree `first_root` of `first` leaves
    is a prefix of the tree `second_root` of `second` leaves."""
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    for value in proof:
        _check_hash(value, "proof hash")
    if not 0 <= first <= second:
        raise ProofError(f"tree size {second} is smaller than {first}")
    if first == second:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if first_root != second_root:
            raise RootMismatch(first_root, second_root, "second root")
        return
    if first == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        if first_root != EMPTY_ROOT:
            raise RootMismatch(EMPTY_ROOT, first_root, "first root")
        return
    if not proof:
        raise ProofError(f"empty consistency proof from {first} to {second}")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_value = second_value = path[0]
    for value in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof is longer than {first} to {second} needs")
        if fn & 1 or fn == sn:
            first_value = node_hash(value, first_value)
            second_value = node_hash(value, second_value)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second_value = node_hash(second_value, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof is shorter than {first} to {second} needs")
    if first_value != first_root:
        raise RootMismatch(first_root, first_value, "first root")
    if second_value != second_root:
        raise RootMismatch(second_root, second_value, "second root")
