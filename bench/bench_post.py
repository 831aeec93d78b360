"""Single-report POST /v1/reports with C concurrent clients over loopback, against a
no-op FastAPI endpoint (same body, same auth header, same server processes) in the same run.

    .venv/bin/python -m bench.bench_post [--requests 5000] [--clients 50]
        [--db sqlite|postgres] [--processes 2] [--quick]

On PostgreSQL the clients are spread over `--processes` serve processes (SQLite runs one).
The no-op is POST /bench/noop of bench/serve_with_noop.py, the hub's app plus one route
that parses nothing and writes nothing: it costs what HTTP, the middleware and the client
cost, which GET /healthz (a database round trip) and /readyz (several checks) do not.
Prints throughput and p50/p99 latency of both, and the throughput ratio.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench._support import (
    analyze,
    fresh_database,
    hub_processes,
    make_report,
    percentile,
    setup_hotlines,
)


async def drive(
    urls: list[str], path: str, token: str, total: int, clients: int, run: str
) -> tuple[float, list[float]]:
    """`clients` loops sending `total` requests between them; loop i talks to urls[i % n]."""
    latencies: list[float] = []
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for index in counter:
            body = make_report(index, run)
            started = time.perf_counter()
            answer = await client.post(path, json=body)
            latencies.append(time.perf_counter() - started)
            assert answer.status_code in (200, 201), answer.text

    pool = [
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=60
        )
        for url in urls
    ]
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(pool[i % len(pool)]) for i in range(clients)))
    elapsed = time.perf_counter() - started
    for client in pool:
        await client.aclose()
    return total / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=2, help="serve processes (PostgreSQL)")
    parser.add_argument("--quick", action="store_true", help="1,000 requests, a short check")
    args = parser.parse_args()
    if args.quick:
        args.requests = 1000
    processes = args.processes if args.db == "postgres" else 1
    with (
        fresh_database(args.db) as database_url,
        tempfile.TemporaryDirectory() as folder,
        hub_processes(database_url, Path(folder), processes, noop=True) as urls,
    ):
        token = setup_hotlines(urls[0])
        asyncio.run(drive(urls, "/bench/noop", token, 200, args.clients, "warm"))
        asyncio.run(drive(urls, "/v1/reports", token, 500, args.clients, "warm"))
        analyze(database_url)  # autovacuum is off on the bench machines
        noop_rate, noop_lat = asyncio.run(
            drive(urls, "/bench/noop", token, args.requests, args.clients, "noop")
        )
        hub_rate, hub_lat = asyncio.run(
            drive(urls, "/v1/reports", token, args.requests, args.clients, "post")
        )
    print(
        f"POST /v1/reports, {args.requests} requests, {args.clients} clients, {args.db},"
        f" {processes} serve process(es)"
    )
    print(
        f"  hub:   {hub_rate:7.0f} req/s  p50 {percentile(hub_lat, 0.5) * 1000:6.1f} ms  p99 {percentile(hub_lat, 0.99) * 1000:6.1f} ms"
    )
    print(
        f"  no-op: {noop_rate:7.0f} req/s  p50 {percentile(noop_lat, 0.5) * 1000:6.1f} ms  p99 {percentile(noop_lat, 0.99) * 1000:6.1f} ms"
    )
    print(f"  ratio (hub / no-op throughput): {hub_rate / noop_rate:.2f}")


if __name__ == "__main__":
    main()
