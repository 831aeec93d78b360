"""Times the exchange log: appends/s through the real append path, proof latency from the
stored tree at 1M leaves, and recomputing a root from 1M leaves as a full audit does
against plain hashlib.

    python bench/bench_log.py                          # SQLite in a temporary directory
    python bench/bench_log.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
Goals: >= 5,000 appends/s, proofs <= 2 ms.
"""

import argparse
import base64
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Run as a script from anywhere: the repository root holds the hub package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from bench_merkle_root import ROUNDS, audit_root, best_of, make_leaves, plain_hashlib
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from clients import audit
from hub import exchange
from hub.db import Database
from hub.log import merkle, service, storage
from hub.log.models import LogLeaf, LogNode, node_key
from hub.migrate import upgrade
from hub.settings import Settings

# What report intake logs: the reporter's answer is the subject of two leaves.
ANSWER = {
    "id": "rpt_01jq3v6x8k2m4n6p8r0t2v4x6z",
    "reference": "IWF-2026-000123",
    "received_at": "2026-11-24T09:30:00.123456Z",
    "case": {"id": "cas_01jq3v6x8k2m4n6p8r0t2v4x6z", "opened": True, "status": "pending"},
    "content": {"id": "cnt_01jq3v6x8k2m4n6p8r0t2v4x6z", "known": False, "match": None},
    "hosting": {"ip": "203.0.113.7", "country": "NL", "source": "resolved"},
    "routing": {"to": "NL-MELDPUNT", "referral": "ref_01jq3v6x8k2m4n6p8r0t2v4x6z", "reason": "hosting_country"},
}  # fmt: skip


@contextmanager
def scratch_database(postgres: str | None) -> Iterator[str]:
    """A fresh, migrated database: a temporary SQLite file, or a PostgreSQL database
    created on the given server and dropped afterwards."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    server = make_url(postgres).set(drivername="postgresql")
    name = f"bench_log_{random.getrandbits(32):08x}"
    admin = server.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def open_database(url: str, directory: Path) -> Database:
    settings = Settings(database_url=url, signing_key=directory / "key.pem")
    database = Database(settings)
    upgrade(database.engine)
    return database


def bench_appends(database: Database, total: int, per_transaction: int) -> float:
    """Appends/s: `exchange.log` (checked fields, digest, one queued row) in transactions of `per_transaction`."""
    started = time.perf_counter()
    done = 0
    while done < total:
        with database.transaction() as session:
            for _ in range(min(per_transaction, total - done)):
                exchange.log(
                    session,
                    "report.received",
                    actor="GB-IWF",
                    subject=ANSWER,
                    case="cas_01jq3v6x8k2m4n6p8r0t2v4x6z",
                    country="NL",
                )
                done += 1
    return total / (time.perf_counter() - started)


def bench_batched_appends(database: Database, total: int, per_transaction: int) -> float:
    """Appends/s: `exchange.log_many` (as report intake does) in transactions of `per_transaction`."""
    entry = exchange.Entry(
        "report.received",
        "GB-IWF",
        ANSWER,
        {"case": "cas_01jq3v6x8k2m4n6p8r0t2v4x6z", "country": "NL"},
    )
    started = time.perf_counter()
    done = 0
    while done < total:
        count = min(per_transaction, total - done)
        with database.transaction() as session:
            exchange.log_many(session, [entry] * count)
        done += count
    return total / (time.perf_counter() - started)


def perfect_nodes(leaf_hashes: list[bytes]) -> Iterator[tuple[int, bytes]]:
    """Every perfect node of the tree, as `(node_key, hash)`, level by level."""
    level, row = 0, leaf_hashes
    while row:
        for index, value in enumerate(row):
            yield node_key(level, index), value
        row = [merkle.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1


def _digest(leaf: bytes) -> str:
    return json.loads(leaf)["digest"]


def load_tree(database: Database, leaves: list[bytes]) -> list[bytes]:
    """Stores leaves and nodes in bulk (what a million appends would have left)."""
    leaf_hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    if database.dialect == "postgresql":
        connection = database.engine.raw_connection()
        try:
            cursor = connection.cursor()
            with cursor.copy("COPY log_leaves (seq, leaf_hash, leaf, digest) FROM STDIN") as copy:
                for seq, leaf in enumerate(leaves):
                    copy.write_row((seq, leaf_hashes[seq], leaf, _digest(leaf)))
            with cursor.copy("COPY log_nodes (id, hash) FROM STDIN") as copy:
                for row in perfect_nodes(leaf_hashes):
                    copy.write_row(row)
            connection.commit()
            cursor.execute("ANALYZE log_leaves")
            cursor.execute("ANALYZE log_nodes")
            connection.commit()
        finally:
            connection.close()
        return leaf_hashes
    chunk = 100_000
    with database.transaction() as session:
        for start in range(0, len(leaves), chunk):
            session.execute(
                insert(LogLeaf.__table__),
                [
                    {
                        "seq": seq,
                        "leaf_hash": leaf_hashes[seq],
                        "leaf": leaves[seq],
                        "digest": _digest(leaves[seq]),
                    }
                    for seq in range(start, min(start + chunk, len(leaves)))
                ],
            )
        nodes = perfect_nodes(leaf_hashes)
        while batch := [{"id": key, "hash": value} for key, value in _take(nodes, chunk)]:
            session.execute(insert(LogNode.__table__), batch)
    return leaf_hashes


def _take(items: Iterator[tuple[int, bytes]], count: int) -> Iterator[tuple[int, bytes]]:
    for _ in range(count):
        item = next(items, None)
        if item is None:
            return
        yield item


def latency_ms(database: Database, runs: int, call: Callable[..., object]) -> tuple[float, float]:
    """Median and 99th percentile of `call(session)`, one fresh read session each."""
    times = []
    for _ in range(runs):
        with database.session(write=False) as session:
            started = time.perf_counter()
            call(session)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL; default SQLite")
    parser.add_argument("--appends", type=int, default=50_000)
    parser.add_argument("--per-transaction", type=int, default=100)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2_000)
    args = parser.parse_args()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    rng = random.Random(1)

    with tempfile.TemporaryDirectory() as directory, scratch_database(args.postgres) as url:
        database = open_database(url, Path(directory))
        rate = bench_appends(database, args.appends, args.per_transaction)
        print(f"{kind}: {args.appends:,} appends, {args.per_transaction} per transaction")
        print(f"  appends/s:                     {rate:,.0f} (goal >= 5,000)")
        batched = bench_batched_appends(database, args.appends, args.per_transaction)
        print(f"  appends/s, batched (log_many): {batched:,.0f}")
        single = bench_appends(database, 2_000, 1)
        print(f"  appends/s, one per transaction: {single:,.0f}")
        database.dispose()

    with tempfile.TemporaryDirectory() as directory, scratch_database(args.postgres) as url:
        database = open_database(url, Path(directory))
        leaves = make_leaves(args.leaves)
        started = time.perf_counter()
        leaf_hashes = load_tree(database, leaves)
        print(
            f"{kind}: stored tree of {args.leaves:,} leaves in {time.perf_counter() - started:.1f} s"
        )
        size = args.leaves
        with database.session(write=False) as session:
            assert storage.root(session, size) == audit.root(leaf_hashes)

        def inclusion(session: object) -> object:
            index = rng.randrange(size)
            return service.inclusion(session, index, None, size)  # type: ignore[arg-type]

        def inclusion_old(session: object) -> object:
            tree_size = rng.randrange(1, size + 1)
            return service.inclusion(session, rng.randrange(tree_size), None, tree_size)  # type: ignore[arg-type]

        def consistency(session: object) -> object:
            first = rng.randrange(1, size + 1)
            return service.consistency(session, first, size)  # type: ignore[arg-type]

        def by_hash(session: object) -> object:
            leaf_hash = leaf_hashes[rng.randrange(size)]
            encoded = base64.b64encode(leaf_hash).decode()
            return service.inclusion(session, None, encoded, size)  # type: ignore[arg-type]

        for name, call in [
            ("inclusion proof, latest size", inclusion),
            ("inclusion proof, random size", inclusion_old),
            ("inclusion proof by leaf hash", by_hash),
            ("consistency proof to latest", consistency),
            ("root of the latest size", lambda s: storage.root(s, size)),  # type: ignore[arg-type]
        ]:
            median, p99 = latency_ms(database, args.proofs, call)
            print(f"  {name + ':':31} median {median:.3f} ms, p99 {p99:.3f} ms (goal <= 2 ms)")

        started = time.perf_counter()
        with database.session(write=False) as session:
            stored = [leaf for _, leaf in storage.entries(session, 0, size)]
        read_seconds = time.perf_counter() - started
        assert audit_root(stored) == audit.root(leaf_hashes)
        database.dispose()

    root_seconds = best_of(ROUNDS, lambda: audit_root(leaves))
    hashlib_seconds = best_of(ROUNDS, lambda: plain_hashlib(leaves))
    print(f"root of {args.leaves:,} leaves from scratch (best of {ROUNDS}):")
    print(f"  reading them back from {kind}:  {read_seconds:.2f} s")
    print(f"  audit.root(leaf hashes):       {root_seconds:.2f} s")
    print(f"  plain hashlib, same bytes:     {hashlib_seconds:.2f} s")
    print(f"  ratio:                         {root_seconds / hashlib_seconds:.2f}x")


if __name__ == "__main__":
    main()
