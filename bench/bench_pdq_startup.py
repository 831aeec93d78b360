"""Start-up of the contents' PDQ index from a PostgreSQL database holding N known PDQ
hashes, until it answers from an index (no scan of unindexed rows), and the process's
memory: from its snapshot file (hub/pdq/snapshot.py) against the bulk path without
one (COPY of fixed-width lines decoded in numpy, then a build), and optionally against
reading the same rows as SQLAlchemy rows and adding them one by one (the first way).

    .venv/bin/python -m bench.bench_pdq_startup [--n 1000000] [--baseline-n 0]

Each measurement runs in a fresh child process, so its RSS is its own. The bulk start
writes the snapshot (timed apart), the snapshot start reads it.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

from bench._support import fresh_database
from hub.db import Database
from hub.migrate import upgrade
from hub.settings import Settings


def fill_known_pdq(database_url: str, n: int, seed: int = 1) -> None:
    """n contents with one random PDQ hash each, written with COPY (migrates first)."""
    database = Database(Settings(database_url=database_url))
    upgrade(database.engine)
    database.engine.dispose()
    rng = np.random.default_rng(seed)
    with psycopg.connect(database_url) as connection, connection.cursor() as cursor:
        for start in range(0, n, 500_000):
            rows = rng.integers(0, 256, (min(500_000, n - start), 32), dtype=np.uint8)
            ids = [f"cnt_known{start + i:021d}" for i in range(len(rows))]
            with cursor.copy("COPY contents (id, kind, created_at) FROM STDIN") as copy:
                copy.write("".join(f"{c}\timage\t2026-12-01 00:00:00+00\n" for c in ids))
            with cursor.copy("COPY pdq_hashes (content_id, value) FROM STDIN") as copy:
                copy.write(
                    "".join(f"{c}\t{r.tobytes().hex()}\n" for c, r in zip(ids, rows, strict=True))
                )
        connection.commit()


def child(database_url: str, way: str, folder: str) -> None:
    from sqlalchemy import select

    from hub.matching.models import PdqHash
    from hub.matching.startup import SnapshotPdqIndex
    from hub.pdq import snapshot
    from hub.pdq.index import IndexMatcher

    database = Database(Settings(database_url=database_url))
    path = snapshot.path_for(Path(folder), "contents", database_url)
    start = time.perf_counter()
    saved = None
    if way in ("bulk", "snapshot"):
        index = SnapshotPdqIndex(database, path)
        if way == "bulk":
            path.unlink(missing_ok=True)
            index.matcher.on_built.clear()  # the snapshot is written (and timed) below
        index.catch_up()
        index.matcher.wait_for_builds()
        count = len(index.matcher)
        restored = isinstance(index.matcher.state().base.order, np.memmap)
        if way == "bulk":
            elapsed = time.perf_counter() - start
            begun = time.perf_counter()
            index._after_build()
            saved = time.perf_counter() - begun
        assert restored == (way == "snapshot"), "the snapshot was not used as expected"
    else:
        matcher = IndexMatcher()
        with database.session(write=False) as session:
            rows = session.execute(
                select(PdqHash.seq, PdqHash.content_id, PdqHash.value).order_by(PdqHash.seq)
            ).all()
            for _seq, content_id, value in rows:
                matcher.add(content_id, bytes.fromhex(value))
        count = len(matcher)
    if saved is None:
        elapsed = time.perf_counter() - start
    lines = Path("/proc/self/status").read_text().splitlines()
    status = dict(line.split(":", 1) for line in lines if ":" in line)
    print(
        json.dumps(
            {
                "rows": count,
                "seconds": elapsed,
                "saved": saved,
                "rss": status["VmRSS"].strip(),
                "peak": status["VmHWM"].strip(),
            }
        )
    )


def measure(database_url: str, way: str, folder: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_pdq_startup", "--child", database_url, way, folder],
        capture_output=True, text=True, check=True, env={**os.environ},
    ).stdout  # fmt: skip
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--baseline-n", type=int, default=0)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    labels = {
        "bulk": "bulk COPY + index build",
        "snapshot": "snapshot file + catch-up",
        "rows": "SQLAlchemy rows, one add each",
    }
    for n, ways in ((args.n, ("bulk", "snapshot")), (args.baseline_n, ("rows",))):
        if not n:
            continue
        with fresh_database("postgres") as url, tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            fill_known_pdq(url, n)
            print(f"{n:>11,} hashes written in {time.perf_counter() - started:.0f} s")
            seconds = {}
            for way in ways:
                result = measure(url, way, folder)
                seconds[way] = result["seconds"]
                saved = (
                    f"  (then wrote its snapshot in {result['saved']:.1f} s)"
                    if result["saved"]
                    else ""
                )
                print(
                    f"{n:>11,} hashes  {labels[way]:30}  {result['seconds']:6.1f} s  RSS {result['rss']:>12}  peak {result['peak']:>12}{saved}"
                )
            if "snapshot" in seconds:
                print(f"  snapshot start is x{seconds['bulk'] / seconds['snapshot']:.1f} faster")


if __name__ == "__main__":
    main()
