"""RFC 9162 section 2.1 Merkle tree math for the exchange log: hashes, stored nodes and the
proofs made from them. Pure functions, no I/O: storage hands in callables that read its
stored subtree hashes. The hub only proves; the one verifier is the SDK's (clients/_merkle.py)."""

import hashlib
from collections.abc import Callable, Iterable
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


def leaf_hash(leaf: bytes) -> bytes:
    """``SHA-256(0x00 || leaf)``: the hash of one log entry."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


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
