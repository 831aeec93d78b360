"""The exchange log in the database: appending leaves with the perfect nodes they complete,
and reading entries, roots and proofs back with one node query each.

Appends run inside the caller's transaction under the exchange lock (`hub.exchange.hold_lock`),
so sequence numbers follow commit order without gaps and a rollback takes the leaf with it.
"""

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, SessionTransaction

from hub import clock
from hub.log import merkle
from hub.log.leaves import encode_leaf, subject_digest
from hub.log.models import LogLeaf, LogNode, node_key

_leaves = LogLeaf.__table__
_nodes = LogNode.__table__
# The append path's inserts as plain driver SQL; on PostgreSQL one statement (one round
# trip) writes the leaf and its nodes, for as many nodes as the append completes.
_SQLITE_LEAF = "INSERT INTO log_leaves (seq, leaf_hash, leaf, digest) VALUES (?, ?, ?, ?)"
_SQLITE_NODE = "INSERT INTO log_nodes (id, hash) VALUES (?, ?)"
_POSTGRES_LEAF = _SQLITE_LEAF.replace("?", "%s")
_POSTGRES_NODE = _SQLITE_NODE.replace("?", "%s")
_POSTGRES_APPEND = [
    "WITH leaf AS (INSERT INTO log_leaves (seq, leaf_hash, leaf, digest) VALUES (%s, %s, %s, %s)) "  # noqa: S608 (placeholders only)
    "INSERT INTO log_nodes (id, hash) VALUES " + ", ".join(["(%s, %s)"] * count)
    for count in range(65)
]
_SESSION_KEY = "hub.log.append"


class LogCorrupted(RuntimeError):
    """A node that a committed tree size needs is missing from storage."""


@dataclass
class _AppendCache:
    """What this transaction has appended so far, so back-to-back appends skip reads.

    The next sequence number is trusted only within the (sub)transaction that read it: a
    savepoint that ends may have rolled leaves back. Node hashes stay valid for the whole
    transaction, because a node is only ever read as the left sibling of a later leaf, and
    a re-appended leaf overwrites whatever a rolled-back one left here."""

    transaction: SessionTransaction
    scope: SessionTransaction
    next_seq: int
    nodes: dict[int, bytes] = field(default_factory=dict)


def size(session: Session) -> int:
    """The number of leaves this session sees (committed, plus its own uncommitted ones)."""
    last = session.execute(select(func.max(_leaves.c.seq))).scalar()
    return 0 if last is None else last + 1


def _cache(session: Session) -> _AppendCache:
    transaction = session.get_transaction()
    scope = session.get_nested_transaction() or transaction
    assert transaction is not None and scope is not None, "log appends need a transaction"
    cache: _AppendCache | None = session.info.get(_SESSION_KEY)
    if cache is None or cache.transaction is not transaction:
        cache = _AppendCache(transaction, scope, size(session))
        session.info[_SESSION_KEY] = cache
    elif cache.scope is not scope:
        cache.scope = scope
        cache.next_seq = size(session)
    return cache


@dataclass(frozen=True)
class Entry:
    """One exchange event to log: its type, who caused it, what it is about, its fields."""

    type: str
    actor: str
    subject: Any
    fields: Mapping[str, str | None]


def append(
    session: Session, type: str, *, actor: str, subject: Any, fields: Mapping[str, str | None]
) -> int:
    """Appends one leaf and the perfect nodes it completes; returns its sequence number."""
    return append_many(session, [Entry(type, actor, subject, fields)])[0]


def append_many(session: Session, entries: list[Entry]) -> list[int]:
    """Appends leaves in order with the nodes they complete, in two statements at most.

    The caller holds the exchange lock: the size read here cannot change under it. The
    cache moves on only after the rows are written, so a rejected leaf leaves no gap.
    """
    cache = _cache(session)
    at = clock.utcnow()
    next_seq = cache.next_seq
    added: dict[int, bytes] = {}
    leaves: list[tuple[int, bytes, bytes, str]] = []
    for entry in entries:
        seq = next_seq
        digest = subject_digest(entry.subject)
        leaf = encode_leaf(seq, entry.type, at, entry.actor, digest, entry.fields)
        leaf_hash = merkle.leaf_hash(leaf)
        siblings = [
            node_key(level - 1, 2 * index)
            for level, index in merkle.nodes_completed_by_append(seq)[1:]
        ]
        missing = [key for key in siblings if key not in added and key not in cache.nodes]
        if missing:
            cache.nodes.update(_read_nodes(session, missing))
        rows = merkle.perfect_nodes_for_append(
            seq,
            leaf_hash,
            lambda level, index: (
                added.get(node_key(level, index)) or cache.nodes[node_key(level, index)]
            ),
        )
        added.update((node_key(level, index), value) for level, index, value in rows)
        leaves.append((seq, leaf_hash, leaf, digest))
        next_seq = seq + 1
    _insert(session, leaves, list(added.items()))
    cache.nodes.update(added)
    cache.next_seq = next_seq
    return [leaf[0] for leaf in leaves]


def _insert(
    session: Session, leaves: list[tuple[int, bytes, bytes, str]], nodes: list[tuple[int, bytes]]
) -> None:
    """Writes leaves and their nodes straight through the driver, in the session's
    transaction: SQLAlchemy's per-statement work was half the cost of an append. One leaf
    on PostgreSQL is one statement (one round trip); more go as two executemany."""
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "sqlite":
            cursor.executemany(_SQLITE_LEAF, leaves)
            cursor.executemany(_SQLITE_NODE, nodes)
        elif len(leaves) == 1 and len(nodes) < len(_POSTGRES_APPEND):
            cursor.execute(_POSTGRES_APPEND[len(nodes)], [*leaves[0], *itertools.chain(*nodes)])
        else:
            cursor.executemany(_POSTGRES_LEAF, leaves)
            cursor.executemany(_POSTGRES_NODE, nodes)
    finally:
        cursor.close()


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
