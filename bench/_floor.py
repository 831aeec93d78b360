"""The physical floor of an ingest: the very rows the hub wrote for it, loaded again into
the same tables of a fresh migrated database by the fastest bulk path there is
(`COPY` on PostgreSQL, `executemany` in one transaction on SQLite)."""

import time
from typing import Any

import psycopg

from hub.db import Database
from hub.migrate import upgrade
from hub.settings import Settings

# What a report writes (docs/benchmarks.md); cases before case_reporters (foreign key).
TABLES = [
    "reports",
    "contents",
    "content_hashes",
    "cases",
    "case_reporters",
    "referrals",
    "log_leaves",
    "log_nodes",
    "events",
]

Rows = dict[str, set[Any]]


def snapshot(database_url: str) -> Rows:
    """Every row of TABLES: COPY text lines on PostgreSQL, tuples on SQLite."""
    if database_url.startswith("sqlite"):
        database = Database(Settings(database_url=database_url))
        with database.engine.connect() as connection:
            rows = {
                table: set(connection.exec_driver_sql(f"SELECT * FROM {table}").all())
                for table in TABLES
            }
        database.dispose()
        return rows
    found: Rows = {}
    with psycopg.connect(database_url) as connection, connection.cursor() as cursor:
        for table in TABLES:
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                data = b"".join(bytes(block) for block in copy)
            found[table] = set(data.splitlines())
    return found


def new_rows(before: Rows, after: Rows) -> Rows:
    """Rows written (or changed) between two snapshots."""
    return {table: after[table] - before[table] for table in TABLES}


def prepare(database_url: str, rows: Rows) -> None:
    """Migrates a fresh database and loads `rows` untimed (the data already there)."""
    database = Database(Settings(database_url=database_url))
    upgrade(database.engine)
    database.dispose()
    load(database_url, rows)


def load(database_url: str, rows: Rows) -> float:
    """Loads `rows` in one transaction; the seconds it took, commit included."""
    if database_url.startswith("sqlite"):
        database = Database(Settings(database_url=database_url))
        connection = database.engine.raw_connection()
        started = time.perf_counter()
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            if rows[table]:
                width = len(next(iter(rows[table])))
                marks = ", ".join("?" * width)
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", list(rows[table]))
        cursor.execute("COMMIT")
        elapsed = time.perf_counter() - started
        connection.close()
        database.dispose()
        return elapsed
    with psycopg.connect(database_url) as connection:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in TABLES:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(b"".join(line + b"\n" for line in rows[table]))
        connection.commit()
        return time.perf_counter() - started
