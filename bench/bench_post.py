"""Single-report POST /v1/reports with C concurrent clients over loopback, against a
no-op FastAPI endpoint (same body, same auth header, same server process) in the same run.

    .venv/bin/python bench/bench_post.py [--requests 5000] [--clients 50] [--db sqlite|postgres]

Prints throughput and p50/p99 latency of both, and the throughput ratio.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench._support import fresh_database, hub_process, make_report, percentile, setup_hotlines


async def drive(
    url: str, path: str, token: str, total: int, clients: int, run: str
) -> tuple[float, list[float]]:
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

    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=60
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return total / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with (
        fresh_database(args.db) as database_url,
        tempfile.TemporaryDirectory() as folder,
        hub_process(database_url, Path(folder), noop=True) as url,
    ):
        token = setup_hotlines(url)
        asyncio.run(drive(url, "/bench/noop", token, 200, args.clients, "warm"))
        noop_rate, noop_lat = asyncio.run(
            drive(url, "/bench/noop", token, args.requests, args.clients, "noop")
        )
        hub_rate, hub_lat = asyncio.run(
            drive(url, "/v1/reports", token, args.requests, args.clients, "post")
        )
    print(f"POST /v1/reports, {args.requests} requests, {args.clients} clients, {args.db}")
    print(
        f"  hub:   {hub_rate:7.0f} req/s  p50 {percentile(hub_lat, 0.5) * 1000:6.1f} ms  p99 {percentile(hub_lat, 0.99) * 1000:6.1f} ms"
    )
    print(
        f"  no-op: {noop_rate:7.0f} req/s  p50 {percentile(noop_lat, 0.5) * 1000:6.1f} ms  p99 {percentile(noop_lat, 0.99) * 1000:6.1f} ms"
    )
    print(f"  ratio (hub / no-op throughput): {hub_rate / noop_rate:.2f}")


if __name__ == "__main__":
    main()
