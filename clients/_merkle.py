"""The one RFC 9162 section 2.1 verifier (the hub only proves): leaf and node hashes, roots,
inclusion and consistency proofs. Pure functions, no I/O, no import of the hub."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "IndexBeyondSize",
    "ProofError",
    "RootMismatch",
    "SizesOutOfOrder",
    "WrongHashSize",
    "WrongProofSize",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]


class ProofError(ValueError):
    """A proof does not show what it is said to show; the subclass says why."""


class IndexBeyondSize(ProofError):
    """An inclusion proof for a leaf index that is not below the tree size."""


class SizesOutOfOrder(ProofError):
    """A consistency proof between tree sizes that are not ``0 <= first <= second``."""


class WrongHashSize(ProofError):
    """A leaf hash, proof hash or root that is not a SHA-256 digest."""


class WrongProofSize(ProofError):
    """A proof with more or fewer hashes than its index and tree sizes call for."""

    def __init__(self, message: str, got: int, want: int) -> None:
        super().__init__(message)
        self.got = got
        self.want = want


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
        raise WrongHashSize(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes], want: int, needs: str) -> None:
    """Length first, so a proof of the wrong shape is refused before any hashing."""
    if len(proof) != want:
        raise WrongProofSize(
            f"proof has {len(proof)} hashes, {needs} needs {want}", len(proof), want
        )
    for value in proof:
        _check_hash(value, "proof hash")


def _split(index: int, size: int) -> tuple[int, int]:
    """The shape of the inclusion proof of leaf `index` in a tree of `size` leaves, cut
    where its path leaves the path to the last leaf: `inner` hashes below that level
    (siblings on either side), then `border` hashes above it (left siblings only, one
    per set bit of `index` up there, as the last leaf's path has no right siblings)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def _up_inner(value: bytes, siblings: Sequence[bytes], index: int) -> bytes:
    """Climb from the node at `index` of its level, the bits of `index` saying which side
    each sibling is on."""
    for level, sibling in enumerate(siblings):
        on_the_left = (index >> level) & 1
        value = node_hash(sibling, value) if on_the_left else node_hash(value, sibling)
    return value


def _up_inner_left_only(value: bytes, siblings: Sequence[bytes], index: int) -> bytes:
    """Climb like `_up_inner` but skip right siblings: that is the subtree as it was
    before the leaves on the right were appended."""
    for level, sibling in enumerate(siblings):
        if (index >> level) & 1:
            value = node_hash(sibling, value)
    return value


def _up_border(value: bytes, siblings: Sequence[bytes]) -> bytes:
    for sibling in siblings:
        value = node_hash(sibling, value)
    return value


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root `proof` leads to from leaf hash `leaf` at `index` of a tree of `size`
    leaves; the index, the hash lengths and the proof length are checked first."""
    if not 0 <= index < size:
        raise IndexBeyondSize(f"leaf index {index} is not below tree size {size}")
    _check_hash(leaf, "leaf hash")
    inner, border = _split(index, size)
    _check_proof(proof, inner + border, f"leaf {index} of a tree of {size}")
    return _up_border(_up_inner(leaf, proof[:inner], index), proof[inner:])


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise `ProofError` unless `proof` puts leaf hash `leaf` at `index` of `expected_root`."""
    _check_hash(expected_root, "root")
    calculated = root_from_inclusion_proof(index, size, leaf, proof)
    if calculated != expected_root:
        raise RootMismatch(expected_root, calculated)


def _consistency_proof_size(first: int, second: int) -> int:
    if first in (0, second):
        return 0
    inner, border = _split(first - 1, second)
    shift = (first & -first).bit_length() - 1
    # The proof opens with the subtree holding leaf first - 1, unless the first tree is it.
    return inner - shift + border + (first != 1 << shift)


def _check_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes) -> None:
    """Everything about a consistency proof that needs no hashing: the sizes, the first
    root's length (the empty tree's root if `first` is 0), the proof's length and hashes."""
    if not 0 <= first <= second:
        raise SizesOutOfOrder(f"tree size {second} is smaller than {first}")
    _check_hash(first_root, "first root")
    _check_proof(proof, _consistency_proof_size(first, second), f"tree {first} to {second}")
    if first == 0 and first_root != EMPTY_ROOT:
        raise RootMismatch(EMPTY_ROOT, first_root, "first root")


def root_from_consistency_proof(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes
) -> bytes:
    """The root of the tree of `second` leaves that `proof` leads to, once it is checked
    to lead to `first_root` too; sizes, hash lengths and proof length are checked first.
    No root follows from the empty tree below `second` (`verify_consistency` accepts it)."""
    _check_consistency(first, second, proof, first_root)
    if first == second:
        return first_root
    if first == 0:
        raise ProofError(f"no proof from the empty tree leads to the root of tree {second}")
    inner, _ = _split(first - 1, second)
    shift = (first & -first).bit_length() - 1
    inner -= shift
    # Both trees contain the perfect subtree of 2**shift leaves ending at leaf first - 1.
    if first == 1 << shift:
        seed, path = first_root, proof
    else:
        seed, path = proof[0], proof[1:]
    position = (first - 1) >> shift
    first_value = _up_border(_up_inner_left_only(seed, path[:inner], position), path[inner:])
    if first_value != first_root:
        raise RootMismatch(first_root, first_value, "first root")
    return _up_border(_up_inner(seed, path[:inner], position), path[inner:])


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise `ProofError` unless the tree `first_root` of `first` leaves is a prefix of
    the tree `second_root` of `second` leaves. Every tree extends the empty one: from
    size 0 the proof is empty and the first root must be the empty tree's."""
    _check_hash(second_root, "second root")
    if first == 0:
        _check_consistency(first, second, proof, first_root)
        if second == 0 and second_root != EMPTY_ROOT:
            raise RootMismatch(EMPTY_ROOT, second_root, "second root")
        return
    calculated = root_from_consistency_proof(first, second, proof, first_root)
    if calculated != second_root:
        raise RootMismatch(second_root, calculated, "second root")
