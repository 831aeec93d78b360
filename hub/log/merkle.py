"""RFC 9162 section 2.1 Merkle tree math for the exchange log: hashes, roots and proofs.
Pure functions, no I/O: storage hands in callables that read its stored subtree hashes."""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import TypeAlias

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node: TypeAlias = tuple[int, int]
"""A perfect node ``(level, index)``: the complete subtree over the leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes. It never
changes once complete, so storage keeps one row per perfect node, written on append."""
Range: TypeAlias = tuple[int, int]
"""The leaves ``[start, end)``."""
GetRangeHash: TypeAlias = Callable[[int, int], bytes]
"""``get_range_hash(start, end)``: the MTH of the leaves ``[start, end)``."""
GetNodeHash: TypeAlias = Callable[[int, int], bytes]
"""``get_node_hash(level, index)``: the stored hash of a perfect node."""

_sha256 = hashlib.sha256
_NODE_PREFIX = hashlib.sha256(b"\x01")


class ProofError(ValueError):
    """A proof is malformed, or does not fit the index and sizes it claims to be for."""


class RootMismatch(ProofError):
    """A well-formed proof leads to a different root than the expected one."""

    def __init__(self, expected: bytes, calculated: bytes, what: str = "root") -> None:
        super().__init__(
            f"calculated {what} {calculated.hex()} does not match expected {expected.hex()}"
        )
        self.expected = expected
        self.calculated = calculated


def leaf_hash(leaf: bytes) -> bytes:
    """``SHA-256(0x00 || leaf)``: the hash of one log entry."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a whole tree given its leaf hashes, in one pass per level."""
    size = len(leaf_hashes)
    if size == 0:
        return EMPTY_ROOT
    new_node = _NODE_PREFIX.copy
    level: Sequence[bytes] = leaf_hashes
    while size > 1:
        pairs = iter(level)
        parents: list[bytes] = []
        append = parents.append
        for left, right in zip(pairs, pairs, strict=False):
            hasher = new_node()
            hasher.update(left)
            hasher.update(right)
            append(hasher.digest())
        if size & 1:
            # Splitting at the largest power of two below n lifts a lone last node unchanged.
            append(level[size - 1])
        level = parents
        size = len(parents)
    return bytes(level[0])


def _largest_power_of_two_below(size: int) -> int:
    return 1 << ((size - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[Node]:
    """Split the leaves ``[start, end)`` into the fewest perfect nodes, left to right."""
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def range_hash(start: int, end: int, get_node_hash: GetNodeHash) -> bytes:
    """MTH of the leaves ``[start, end)`` from stored perfect nodes (what storage's
    ``get_range_hash`` does).

    The range must be a subtree of RFC 9162's shape: ``start`` a multiple of the largest
    power of two not above ``end - start``. Every range a proof or a root needs is one,
    and is one perfect node or a right-border subtree of at most ``log2(size)`` of them,
    so a proof costs ``O(log n)`` reads.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    if start == end:
        return EMPTY_ROOT
    width = end - start
    if start % (1 << (width.bit_length() - 1)):
        raise ValueError(f"leaves [{start}, {end}) are not a subtree of any log tree")
    nodes = perfect_subtrees(start, end)
    level, index = nodes[-1]
    value = get_node_hash(level, index)
    for level, index in reversed(nodes[:-1]):
        value = node_hash(get_node_hash(level, index), value)
    return value


def nodes_for_ranges(ranges: Iterable[Range]) -> list[Node]:
    """The distinct perfect nodes that ``range_hash`` reads for these ranges, in order,
    so storage can fetch them in one query."""
    return list(
        dict.fromkeys(node for start, end in ranges for node in perfect_subtrees(start, end))
    )


def subtree_ranges_for_inclusion(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make ``PATH(index, D[size])`` (RFC 9162 2.1.3.1),
    leaf's sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not below tree size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _largest_power_of_two_below(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def subtree_ranges_for_consistency(first: int, second: int) -> list[Range]:
    """The ranges whose hashes make ``PROOF(first, D[second])`` (RFC 9162 2.1.4.1);
    empty when the sizes are equal."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from tree size {first} to {second}")
    ranges: list[Range] = []
    start, end = 0, second
    remaining = first
    first_is_whole_subtree = True
    while remaining != end - start:
        middle = start + _largest_power_of_two_below(end - start)
        if remaining <= middle - start:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            remaining -= middle - start
            start = middle
            first_is_whole_subtree = False
    if not first_is_whole_subtree:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _proof_hashes(ranges: list[Range], get_range_hash: GetRangeHash) -> list[bytes]:
    proof = []
    for start, end in ranges:
        value = get_range_hash(start, end)
        if len(value) != HASH_SIZE:
            raise ValueError(f"hash of leaves [{start}, {end}) is {len(value)} bytes")
        proof.append(value)
    return proof


def inclusion_proof(index: int, size: int, get_range_hash: GetRangeHash) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    return _proof_hashes(subtree_ranges_for_inclusion(index, size), get_range_hash)


def consistency_proof(first: int, second: int, get_range_hash: GetRangeHash) -> list[bytes]:
    """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
    return _proof_hashes(subtree_ranges_for_consistency(first, second), get_range_hash)


def nodes_completed_by_append(index: int) -> list[Node]:
    """The perfect nodes that appending leaf ``index`` completes, bottom up:
    the leaf itself, then one per trailing one bit of ``index``."""
    if index < 0:
        raise ValueError(f"invalid leaf index {index}")
    nodes = [(0, index)]
    level = 0
    while index & 1:
        index >>= 1
        level += 1
        nodes.append((level, index))
    return nodes


def perfect_nodes_for_append(
    index: int, leaf_hash: bytes, get_node_hash: GetNodeHash
) -> list[tuple[int, int, bytes]]:
    """The ``(level, index, hash)`` rows to store when leaf ``index`` is appended.

    Reads one stored left sibling per completed level: one read per append on average,
    ``log2(size)`` at most.
    """
    if len(leaf_hash) != HASH_SIZE:
        raise ValueError(f"leaf hash is {len(leaf_hash)} bytes")
    rows = [(0, index, leaf_hash)]
    value = leaf_hash
    for level, node_index in nodes_completed_by_append(index)[1:]:
        value = node_hash(get_node_hash(level - 1, 2 * node_index), value)
        rows.append((level, node_index, value))
    return rows


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _inclusion_proof_shape(index: int, size: int) -> tuple[int, int]:
    """How many proof hashes lie below the level where the paths to ``index`` and to
    ``size - 1`` meet (``inner``), and how many left siblings lie above it (``border``)."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` leads to from leaf ``index`` of a tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_hash(leaf_hash, "leaf hash")
    inner, border = _inclusion_proof_shape(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, want {inner + border}")
    for sibling in proof:
        _check_hash(sibling, "proof hash")
    value = leaf_hash
    for level, sibling in enumerate(proof):
        if level < inner and not (index >> level) & 1:
            value = node_hash(value, sibling)
        else:
            value = node_hash(sibling, value)
    return value


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf ``index`` is in the tree ``root``."""
    _check_hash(root, "root")
    calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if calculated != root:
        raise RootMismatch(root, calculated)


def root_from_consistency_proof(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes
) -> bytes:
    """The root of the tree of ``second`` leaves that ``proof`` leads to, after checking
    it also leads to ``first_root``."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from tree size {first} to {second}")
    _check_hash(first_root, "first root")
    if first == second:
        if proof:
            raise ProofError("consistency proof between equal tree sizes must be empty")
        return first_root
    if first == 0:
        raise ProofError("no consistency proof exists from the empty tree")
    inner, border = _inclusion_proof_shape(first - 1, second)
    shift = (first & -first).bit_length() - 1
    inner -= shift
    first_is_perfect = first == 1 << shift
    expected = inner + border + (0 if first_is_perfect else 1)
    if len(proof) != expected:
        raise ProofError(f"consistency proof has {len(proof)} hashes, want {expected}")
    for value in proof:
        _check_hash(value, "proof hash")
    # The path starts at the largest perfect subtree ending at leaf first - 1.
    seed = first_root if first_is_perfect else proof[0]
    path = proof if first_is_perfect else proof[1:]
    position = (first - 1) >> shift
    first_value = second_value = seed
    for level, sibling in enumerate(path):
        if level < inner and not (position >> level) & 1:
            second_value = node_hash(second_value, sibling)
        else:
            first_value = node_hash(sibling, first_value)
            second_value = node_hash(sibling, second_value)
    if first_value != first_root:
        raise RootMismatch(first_root, first_value, "first root")
    return second_value


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows the tree ``first_root`` of ``first``
    leaves is a prefix of the tree ``second_root`` of ``second`` leaves."""
    _check_hash(second_root, "second root")
    calculated = root_from_consistency_proof(first, second, proof, first_root)
    if calculated != second_root:
        raise RootMismatch(second_root, calculated, "second root")
