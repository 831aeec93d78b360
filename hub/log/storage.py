"""The exchange log in the database: appending leaves with the perfect nodes they complete,
and reading entries, roots and proofs back with one node query each.

Only the sequencer appends (`hub.exchange.sequencer`), one transaction at a time, so sequence
numbers have no gaps and a rollback takes its leaves with it.
"""

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import copy_rows
from hub.log import merkle
from hub.log.leaves import with_seq
from hub.log.models import LogLeaf, LogNode, node_key
from hub.log.queue import Queued

_leaves = LogLeaf.__table__
_nodes = LogNode.__table__
_LEAF_COLUMNS = ("seq", "leaf_hash", "leaf", "digest")
_NODE_COLUMNS = ("id", "hash")


class LogCorrupted(RuntimeError):
    """A node that a committed tree size needs is missing from storage."""


def size(session: Session) -> int:
    """The number of leaves this session sees (committed, plus its own uncommitted ones)."""
    last = session.execute(select(func.max(_leaves.c.seq))).scalar()
    return 0 if last is None else last + 1


def append_many(session: Session, queued: list[Queued]) -> list[int]:
    """Appends leaves in order with the perfect nodes they complete; returns their `seq`.

    Only the sequencer calls this, holding its lock (`hub.exchange.sequencer`): the size read
    here cannot change before the transaction ends.
    """
    first = size(session)
    nodes = _read_nodes(session, frontier(first))
    leaves: list[tuple[int, bytes, bytes, str]] = []
    added: dict[int, bytes] = {}
    for seq, (_, template, digest) in enumerate(queued, start=first):
        leaf = with_seq(template, seq)
        value = merkle.leaf_hash(leaf)
        leaves.append((seq, value, leaf, digest))
        level, index = 0, seq
        nodes[2 * seq] = added[2 * seq] = value  # node_key(0, seq)
        while index & 1:  # each trailing one bit completes a node with its left sibling
            value = merkle.node_hash(nodes[node_key(level, index - 1)], value)
            level, index = level + 1, index >> 1
            key = node_key(level, index)
            nodes[key] = added[key] = value
    copy_rows(session, _leaves, _LEAF_COLUMNS, leaves)
    copy_rows(session, _nodes, _NODE_COLUMNS, list(added.items()))
    return [leaf[0] for leaf in leaves]


def frontier(size: int) -> list[int]:
    """The keys of the perfect nodes that leaves appended to a tree of `size` can need as
    left siblings: the tree's largest perfect subtrees, one per set bit of `size`."""
    return [
        node_key(level, (size >> level) - 1)
        for level in range(size.bit_length())
        if size >> level & 1
    ]


def _read_nodes(session: Session, keys: Iterable[int]) -> dict[int, bytes]:
    wanted = list(keys)
    if not wanted:
        return {}
    query = select(_nodes.c.id, _nodes.c.hash).where(_nodes.c.id.in_(wanted))
    found = {key: bytes(value) for key, value in session.execute(query)}
    if len(found) != len(wanted):
        raise LogCorrupted(f"{len(wanted) - len(found)} stored Merkle node(s) are missing")
    return found


class BeyondLog(LookupError):
    """The tree size asked for is larger than the log."""


class _RangeHashes:
    """``get_range_hash`` over the nodes that a set of ranges needs, fetched in one query.

    The query also asks for the last leaf of the tree, so it tells a tree size beyond the
    log (``BeyondLog``) from a missing node (``LogCorrupted``) without a second query."""

    def __init__(self, session: Session, tree_size: int, ranges: list[merkle.Range]) -> None:
        last_leaf = node_key(0, tree_size - 1)
        wanted = [node_key(level, index) for level, index in merkle.nodes_for_ranges(ranges)]
        query = select(_nodes.c.id, _nodes.c.hash).where(_nodes.c.id.in_([last_leaf, *wanted]))
        self._nodes = {key: bytes(value) for key, value in session.execute(query)}
        if last_leaf not in self._nodes:
            raise BeyondLog(f"the log has fewer than {tree_size} leaves")
        if not self._nodes.keys() >= set(wanted):
            raise LogCorrupted(f"stored Merkle nodes below tree size {tree_size} are missing")

    def node(self, level: int, index: int) -> bytes:
        return self._nodes[node_key(level, index)]

    def __call__(self, start: int, end: int) -> bytes:
        return merkle.range_hash(start, end, self.node)


def root(session: Session, tree_size: int) -> bytes:
    """The Merkle Tree Hash of the first ``tree_size`` leaves."""
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    return _RangeHashes(session, tree_size, [(0, tree_size)])(0, tree_size)


def inclusion_proof(session: Session, index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
    """The leaf hash at ``index`` and its proof in the tree of ``tree_size`` leaves;
    ``BeyondLog`` if the log is smaller."""
    ranges = merkle.subtree_ranges_for_inclusion(index, tree_size)
    hashes = _RangeHashes(session, tree_size, [(index, index + 1), *ranges])
    return hashes(index, index + 1), merkle.inclusion_proof(index, tree_size, hashes)


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """``PROOF(first, D[second])``; ``BeyondLog`` if the log is smaller than ``second``."""
    ranges = merkle.subtree_ranges_for_consistency(first, second)
    return merkle.consistency_proof(first, second, _RangeHashes(session, second, ranges))


def entries(session: Session, start: int, end: int) -> list[tuple[int, bytes]]:
    """The leaves ``[start, end)`` that exist, as ``(seq, leaf bytes)``."""
    query = (
        select(_leaves.c.seq, _leaves.c.leaf)
        .where(_leaves.c.seq >= start, _leaves.c.seq < end)
        .order_by(_leaves.c.seq)
    )
    return [(seq, bytes(leaf)) for seq, leaf in session.execute(query)]


def entries_with_digest(session: Session, digest: str, limit: int) -> list[tuple[int, bytes]]:
    """The first `limit` leaves whose `digest` is this one, as ``(seq, leaf bytes)``."""
    query = (
        select(_leaves.c.seq, _leaves.c.leaf)
        .where(_leaves.c.digest == digest)
        .order_by(_leaves.c.seq)
        .limit(limit)
    )
    return [(seq, bytes(leaf)) for seq, leaf in session.execute(query)]


def index_of(session: Session, leaf_hash: bytes) -> int | None:
    """The sequence number of the leaf with this hash (leaves are unique: each holds its seq)."""
    # Not min(seq): PostgreSQL may answer that by walking the primary key, not this index.
    query = select(_leaves.c.seq).where(_leaves.c.leaf_hash == leaf_hash).limit(1)
    return session.execute(query).scalar()
