"""Importing a hash list: entries/s through `hubctl lists import` (the SDK's ListImport,
parts of 10k NDJSON lines, then publish and ANALYZE) against a raw load of the same rows
into the same migrated table (PostgreSQL COPY, SQLite executemany), on a fresh database.

Run: .venv/bin/python -m bench.bench_lists [--n 1000000] [--db postgresql|sqlite|both]
"""

import argparse
import json
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine

from bench._support import ADMIN_TOKEN, fresh_database, hub_process
from clients import HubClient
from clients._lists_import import PART_SIZE, ListImport
from hub.migrate import upgrade

# Shares of each algorithm, roughly as a combined IWF/NCMEC list holds them.
MIX = (("md5", 16, 0.4), ("sha1", 20, 0.2), ("sha256", 32, 0.3), ("pdq", 32, 0.1))
CATEGORIES = ("A1", "A2", "B1", "B2")
COLUMNS = "list_id, version, alg, value, quality, category"


def make_entries(n: int) -> list[tuple[str, str, int | None, str]]:
    rows = []
    for alg, size, share in MIX:
        for i in range(int(n * share)):
            quality = 90 if alg == "pdq" else None
            rows.append((alg, secrets.token_hex(size), quality, CATEGORIES[i % 4]))
    return rows


def write_ndjson(rows: list[tuple[str, str, int | None, str]], path: Path) -> None:
    with path.open("w") as out:
        for alg, value, quality, category in rows:
            entry: dict[str, Any] = {"alg": alg, "value": value, "category": category}
            if quality is not None:
                entry["quality"] = quality
            out.write(json.dumps(entry) + "\n")


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def raw_load(url: str, rows: list[tuple[str, str, int | None, str]]) -> float:
    """Seconds to load the rows straight into list_entries of a migrated database."""
    engine = create_engine(sqlalchemy_url(url))
    upgrade(engine)
    engine.dispose()
    start = time.perf_counter()
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        marks = ", ".join("?" * 6)
        connection.executemany(
            f"INSERT INTO list_entries ({COLUMNS}) VALUES ({marks})",
            (("raw", 1, *row) for row in rows),
        )
        connection.commit()
        connection.execute("ANALYZE")
        connection.close()
    else:
        with psycopg.connect(url) as connection:
            statement = f"COPY list_entries ({COLUMNS}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(("raw", 1, *row))
            connection.commit()
            connection.execute("ANALYZE list_entries")
    return time.perf_counter() - start


def hub_import(url: str, source: Path, folder: Path, part_size: int) -> tuple[float, int]:
    """Seconds for the whole import through a running hub (create, parts, publish, ANALYZE)."""
    with hub_process(url, folder) as hub_url, HubClient(hub_url, ADMIN_TOKEN, timeout=300) as hub:
        start = time.perf_counter()
        hub.lists.create("bench-list", name="bench", source="local")
        version = ListImport(hub, "bench-list", source, "jsonl", part_size).run()
        if url.startswith("sqlite"):
            with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
                connection.execute("ANALYZE")
        else:
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("ANALYZE list_entries")
        return time.perf_counter() - start, version.entries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--part-size", type=int, default=PART_SIZE)
    args = parser.parse_args()
    rows = make_entries(args.n)
    kinds = ("postgresql", "sqlite") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "entries.ndjson"
        write_ndjson(rows, source)
        print(
            f"{len(rows):,} entries, {source.stat().st_size / 1e6:.0f} MB NDJSON, parts of {args.part_size:,}"
        )
        for kind in kinds:
            with fresh_database(kind) as url:
                raw = raw_load(url, rows)
            with fresh_database(kind) as url:
                took, entries = hub_import(url, source, folder, args.part_size)
            assert entries == len(rows), entries
            print(
                f"{kind:10}  hubctl lists import {len(rows) / took:>9,.0f} entries/s ({took:.1f} s)"
                f"   raw {'COPY' if kind == 'postgresql' else 'executemany'}"
                f" {len(rows) / raw:>9,.0f} rows/s ({raw:.1f} s)   ratio {raw / took:.2f}"
            )


if __name__ == "__main__":
    main()
