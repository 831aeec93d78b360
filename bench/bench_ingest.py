"""Batch ingest: N distinct reports through POST /v1/reports:batch on a real hub process,
against a raw `executemany` of the same rows into the same database in the same run.

    .venv/bin/python bench/bench_ingest.py [--n 100000] [--db sqlite|postgres|both]
        [--pdq] [--known 1000000]

--pdq gives every report a random PDQ hash (quality 90); --known first writes that many
contents with a PDQ hash each (PostgreSQL, COPY) and warms the hub's index untimed.

Prints reports/s for the hub, rows/s for the raw insert, and their ratio.
"""

import argparse
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench._support import fresh_database, hub_process, make_report, setup_hotlines
from bench.bench_pdq_startup import fill_known_pdq

BATCH = 1000


def with_pdq(body: dict) -> dict:
    pdq = {"alg": "pdq", "value": secrets.token_hex(32), "quality": 90}
    body["content"]["hashes"].append(pdq)
    return body


def hub_ingest(url: str, token: str, n: int, clients: int, pdq: bool = False) -> float:
    batches = [
        [make_report(i) for i in range(start, min(n, start + BATCH))]
        for start in range(0, n, BATCH)
    ]
    if pdq:
        batches = [[with_pdq(body) for body in batch] for batch in batches]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            warm = with_pdq(make_report(0, "warm"))
            client.post("/v1/reports", json=warm, timeout=600).raise_for_status()

    def send(batch: list[dict]) -> None:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=300
        ) as client:
            answer = client.post("/v1/reports:batch", json={"reports": batch})
            answer.raise_for_status()
            statuses = {r["status"] for r in answer.json()["results"]}
            assert statuses == {201}, statuses

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, batches))
    return n / (time.perf_counter() - started)


def raw_executemany(database_url: str, n: int) -> float:
    """The same report rows, inserted with one executemany per batch: the floor of the cost."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE raw_reports (id VARCHAR(40) PRIMARY KEY, hotline_id VARCHAR(19), reference VARCHAR(128), url TEXT, sha256 VARCHAR(64), observed_at VARCHAR(40), UNIQUE (hotline_id, reference))"
            )
        )
    rows = [
        {
            "id": f"rpt_{i:026d}",
            "hotline_id": "GB-IWF",
            "reference": r["reference"],
            "url": r["url"],
            "sha256": r["content"]["hashes"][0]["value"],
            "observed_at": r["observed_at"],
        }
        for i, r in enumerate(make_report(i, "raw") for i in range(n))
    ]
    statement = text(
        "INSERT INTO raw_reports VALUES (:id, :hotline_id, :reference, :url, :sha256, :observed_at)"
    )
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        with engine.begin() as connection:
            connection.execute(statement, rows[start : start + BATCH])
    elapsed = time.perf_counter() - started
    engine.dispose()
    return n / elapsed


def run(kind: str, n: int, clients: int, pdq: bool = False, known: int = 0) -> None:
    with fresh_database(kind) as database_url, tempfile.TemporaryDirectory() as folder:
        if known:
            fill_known_pdq(database_url, known)
        with hub_process(database_url, Path(folder)) as url:
            token = setup_hotlines(url)
            hub_rate = hub_ingest(url, token, n, clients, pdq)
        raw_rate = raw_executemany(database_url, n)
    label = f" pdq, {known:,} known" if pdq else ""
    print(
        f"{kind:9}{label} hub batch ingest: {hub_rate:8.0f} reports/s   raw executemany: {raw_rate:8.0f} rows/s   ratio {hub_rate / raw_rate:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=2, help="batches in flight at once")
    parser.add_argument("--pdq", action="store_true", help="a random PDQ hash in every report")
    parser.add_argument("--known", type=int, default=0, help="known PDQ hashes (PostgreSQL)")
    args = parser.parse_args()
    print(f"batch ingest of {args.n} distinct reports, batches of {BATCH}, {args.clients} clients")
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        run(kind, args.n, args.clients, args.pdq, args.known)


if __name__ == "__main__":
    main()
