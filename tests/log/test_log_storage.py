"""The log's storage under the real append path (queued by a request, appended by the
sequencer): gapless sequence numbers, roots and proofs from stored nodes, and events that
vanish with the transaction or savepoint around them."""

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from hub import exchange
from hub.db import Database
from hub.exchange import sequencer
from hub.log import storage
from hub.log.leaves import LeafRejected
from hub.log.models import LogLeaf, LogNode, LogPending, node_key
from hub.migrate import upgrade
from hub.settings import Settings
from tests.log.vectors import generate


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    upgrade(database.engine)
    yield database
    database.dispose()


def _append(session, n: int = 0) -> None:  # type: ignore[no-untyped-def]
    exchange.log(
        session, "route.set", actor="operator", subject={"n": n}, country="NL", to="NL-MELDPUNT"
    )


def _sequence(database: Database) -> None:
    with database.transaction() as session:
        sequencer.hold(session)
        while sequencer.sequence(session) >= sequencer.BATCH:
            pass


def _leaves(database: Database) -> list[bytes]:
    _sequence(database)
    with database.session(write=False) as session:
        return [leaf for _, leaf in storage.entries(session, 0, 10**9)]


def test_appends_in_one_and_in_many_transactions_make_one_gapless_tree(database: Database) -> None:
    for n in range(5):
        with database.transaction() as session:
            _append(session, n)
    with database.transaction() as session:
        for n in range(5, 40):
            _append(session, n)

    leaves = _leaves(database)
    assert [json.loads(leaf)["seq"] for leaf in leaves] == list(range(40))
    with database.session(write=False) as session:
        assert storage.size(session) == 40
        for size in range(41):
            assert storage.root(session, size) == generate.mth(leaves[:size])
        # One row per perfect node: 2n - popcount(n) of them.
        assert session.scalar(select(func.count()).select_from(LogNode)) == 2 * 40 - 2


def test_proofs_from_stored_nodes_are_the_rfc_proofs(database: Database) -> None:
    with database.transaction() as session:
        for n in range(37):
            _append(session, n)
    leaves = _leaves(database)
    with database.session(write=False) as session:
        for size in range(1, 38):
            for index in range(size):
                stored_hash, proof = storage.inclusion_proof(session, index, size)
                assert stored_hash == generate.leaf_hash(leaves[index])
                assert proof == generate.path(index, leaves[:size]), (index, size)
            for first in range(1, size + 1):
                proof = storage.consistency_proof(session, first, size)
                assert proof == generate.proof(first, leaves[:size]), (first, size)


def test_a_rolled_back_transaction_leaves_no_leaf(database: Database) -> None:
    with database.transaction() as session:
        _append(session)
    with pytest.raises(RuntimeError), database.transaction() as session:
        _append(session, 1)
        _append(session, 2)
        raise RuntimeError("the change the leaves record failed")
    with database.transaction() as session:
        _append(session, 3)

    leaves = _leaves(database)
    assert [json.loads(leaf)["seq"] for leaf in leaves] == [0, 1]
    assert json.loads(leaves[1])["digest"] == independent_digest({"n": 3})
    with database.session(write=False) as session:
        assert storage.root(session, 2) == generate.mth(leaves)


def independent_digest(subject: object) -> str:
    import hashlib

    import rfc8785

    return "sha256:" + hashlib.sha256(rfc8785.dumps(subject)).hexdigest()


def test_a_rolled_back_savepoint_takes_its_leaves_and_nodes_with_it(database: Database) -> None:
    with database.transaction() as session:
        for n in range(3):
            _append(session, n)
        with pytest.raises(RuntimeError), session.begin_nested():
            for n in range(3, 8):
                _append(session, n)
            raise RuntimeError("one batch item failed")
        with session.begin_nested():
            _append(session, 100)
        for n in range(101, 110):
            _append(session, n)

    leaves = _leaves(database)
    assert [json.loads(leaf)["seq"] for leaf in leaves] == list(range(13))
    assert json.loads(leaves[3])["digest"] == independent_digest({"n": 100})
    with database.session(write=False) as session:
        for size in range(14):
            assert storage.root(session, size) == generate.mth(leaves[:size])


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"url": "https://files.example.net/a"}, "not a log leaf field"),
        ({"case": "https://files.example.net/a"}, "may not hold"),
        ({"to": "files.example.net"}, "may not hold"),
        ({"case": "cas_" + "ab" * 16}, "looks like a content hash"),
        ({"status": "d41d8cd98f00b204e9800998ecf8427e"}, "may not hold"),
        (
            {"hotline": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
            "may not",
        ),
        ({"digest": "sha256:00"}, "not a log leaf field"),
        ({"seq": "7"}, "not a log leaf field"),
    ],
)
def test_a_url_a_hash_or_an_unknown_field_never_reaches_a_leaf(
    database: Database, fields: dict[str, str], reason: str
) -> None:
    with pytest.raises(LeafRejected, match=reason), database.transaction() as session:
        exchange.log(session, "case.opened", actor="GB-IWF", subject={}, **fields)
    _sequence(database)
    with database.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(LogPending)) == 0
        assert session.scalar(select(func.count()).select_from(LogLeaf)) == 0


def test_a_leaf_is_the_jcs_of_the_event_with_empty_fields_left_out(database: Database) -> None:
    with database.transaction() as session:
        exchange.log(
            session,
            "referral.status",
            actor="NL-MELDPUNT",
            subject={"b": [1, "é"], "a": None},
            case="cas_01jabcdefghjkmnpqrstvwxyz0",
            referral=None,
            status="removed",
            country="",
        )
    [leaf] = _leaves(database)
    event = json.loads(leaf)
    assert list(event) == sorted(event)  # JCS orders members
    assert leaf == json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    assert set(event) == {"v", "seq", "type", "at", "actor", "case", "status", "digest"}
    assert event["v"] == 1 and event["seq"] == 0 and event["at"].endswith("Z")
    assert event["digest"] == independent_digest({"a": None, "b": [1, "é"]})


def test_a_missing_node_is_corruption_and_a_larger_tree_is_beyond_the_log(
    database: Database,
) -> None:
    with database.transaction() as session:
        for n in range(6):
            _append(session, n)
    _sequence(database)
    with database.transaction() as session:
        session.execute(LogNode.__table__.delete().where(LogNode.__table__.c.id == node_key(2, 0)))

    with database.session(write=False) as session:
        with pytest.raises(storage.BeyondLog):
            storage.consistency_proof(session, 2, 7)
        with pytest.raises(storage.LogCorrupted):
            storage.inclusion_proof(session, 5, 6)


def _entry(n: int, country: str = "NL") -> exchange.Entry:
    return exchange.Entry(
        "route.set", "operator", {"n": n}, {"country": country, "to": "NL-MELDPUNT"}
    )


def test_batched_appends_make_the_same_tree_as_single_ones(database: Database) -> None:
    with database.transaction() as session:
        _append(session, 0)
        exchange.log_many(session, [_entry(n) for n in range(1, 23)])
    with database.transaction() as session:
        exchange.log_many(session, [_entry(n) for n in range(23, 40)])

    leaves = _leaves(database)
    assert [json.loads(leaf)["seq"] for leaf in leaves] == list(range(40))
    with database.session(write=False) as session:
        for size in range(41):
            assert storage.root(session, size) == generate.mth(leaves[:size])
        assert session.scalar(select(func.count()).select_from(LogNode)) == 2 * 40 - 2


def test_a_batch_with_a_rejected_leaf_appends_nothing_and_leaves_no_gap(database: Database) -> None:
    with database.transaction() as session:
        exchange.log_many(session, [_entry(0), _entry(1)])
        with pytest.raises(LeafRejected):
            exchange.log_many(session, [_entry(2), _entry(3, country="https://x.example/")])
        exchange.log_many(session, [_entry(4)])

    assert [json.loads(leaf)["seq"] for leaf in _leaves(database)] == [0, 1, 2]
