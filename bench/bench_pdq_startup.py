"""Start-up of the PDQ index from a PostgreSQL database holding N known PDQ hashes: the
bulk read (COPY of fixed-width lines) plus the index build, and the process's memory,
against reading the same rows as SQLAlchemy rows and adding them one by one (the old way).

    .venv/bin/python -m bench.bench_pdq_startup [--n 1000000] [--baseline-n 1000000]

Each measurement runs in a fresh child process, so its RSS is its own.
"""

import argparse
import json
import os
import subprocess
import sys
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


def child(database_url: str, way: str) -> None:
    from sqlalchemy import select

    from hub.matching.models import PdqHash
    from hub.matching.pdq import IndexMatcher
    from hub.matching.service import PdqIndex

    database = Database(Settings(database_url=database_url))
    start = time.perf_counter()
    if way == "bulk":
        index = PdqIndex(database)
        index.catch_up()
        count = len(index.matcher)
    else:
        matcher = IndexMatcher()
        with database.session(write=False) as session:
            rows = session.execute(
                select(PdqHash.seq, PdqHash.content_id, PdqHash.value).order_by(PdqHash.seq)
            ).all()
            for _seq, content_id, value in rows:
                matcher.add(content_id, bytes.fromhex(value))
        count = len(matcher)
    elapsed = time.perf_counter() - start
    lines = Path("/proc/self/status").read_text().splitlines()
    status = dict(line.split(":", 1) for line in lines if ":" in line)
    print(
        json.dumps(
            {
                "rows": count,
                "seconds": elapsed,
                "rss": status["VmRSS"].strip(),
                "peak": status["VmHWM"].strip(),
            }
        )
    )


def measure(database_url: str, way: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_pdq_startup", "--child", database_url, way],
        capture_output=True, text=True, check=True, env={**os.environ},
    ).stdout  # fmt: skip
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--baseline-n", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    for n, ways in ((args.n, ("bulk",)), (args.baseline_n, ("rows",))):
        if not n:
            continue
        with fresh_database("postgres") as url:
            fill_known_pdq(url, n)
            for way in ways:
                result = measure(url, way)
                label = (
                    "bulk COPY + index build" if way == "bulk" else "SQLAlchemy rows, one add each"
                )
                print(
                    f"{n:>11,} hashes  {label:32}  {result['seconds']:6.1f} s  RSS {result['rss']:>12}  peak {result['peak']:>12}"
                )


if __name__ == "__main__":
    main()
