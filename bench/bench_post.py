"""Single-report POST /v1/reports with C concurrent clients over loopback, against a
no-op FastAPI endpoint (same body, same auth header, same server processes) in the same run.

    .venv/bin/python -m bench.bench_post [--requests 4000] [--clients 50]
        [--db sqlite|postgres] [--processes 2] [--rounds 3] [--rate R] [--quick]

On PostgreSQL the clients are spread over `--processes` serve processes (SQLite runs one).
The no-op is POST /bench/noop of bench/serve_with_noop.py, the hub's app plus one route
that parses nothing and writes nothing: it costs what HTTP, the middleware and the client
cost, which GET /healthz (a database round trip) and /readyz (several checks) do not.
Phases of the two take turns (`--rounds`): the machine's pace drifts by more than the
gap between versions, so each round prints its own ratio and the last line the median.
Each round also gives the share of POSTs the servers answered within 250 ms by their own
latency histogram (GET /metrics), which starts when the app gets the request: the
clients' latency also holds the time it waits in sockets and event loops. Flat out, 50
clients that each wait for their answer see a mean latency of 50 / throughput (Little's
law: 250 ms at 200 req/s), whatever the servers do; `--rate R` sends R POSTs a second
instead, counting each one's latency from when it was due, to read p99 at a given load.
"""

import argparse
import asyncio
import re
import tempfile
import time
from pathlib import Path
from statistics import median

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
    urls: list[str],
    path: str,
    token: str,
    total: int,
    clients: int,
    run: str,
    rate: float | None = None,
) -> tuple[float, list[float]]:
    """`clients` loops sending `total` requests between them; loop i talks to urls[i % n].
    With `rate`, request k is due at k / rate seconds and its latency counts from then,
    so a request held up behind a slow one is not left out of the figures."""
    latencies: list[float] = []
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for index in counter:
            body = make_report(index, run)
            started = time.perf_counter()
            if rate is not None:
                due = begun + index / rate
                await asyncio.sleep(max(0.0, due - started))
                started = due
            answer = await client.post(path, json=body)
            latencies.append(time.perf_counter() - started)
            assert answer.status_code in (200, 201), answer.text

    pool = [
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=60
        )
        for url in urls
    ]
    begun = time.perf_counter()
    await asyncio.gather(*(client_loop(pool[i % len(pool)]) for i in range(clients)))
    elapsed = time.perf_counter() - begun
    for client in pool:
        await client.aclose()
    return total / elapsed, latencies


METRICS_TOKEN = "bench-metrics-Qm4Tz8Vc2Lp6Xw1Rk9Hd3Fn7Bj5Sg0Ya"
BUCKET = re.compile(
    r'hub_http_request_duration_seconds_bucket\{le="([^"]+)",method="POST",route="/v1/reports"\}'
)


def served(urls: list[str]) -> dict[str, float]:
    """How many POST /v1/reports the servers answered within each histogram bound (and
    "+Inf": all), from their own latency histogram; every process flushes its counts
    when asked, so the last answer holds them all."""
    for url in urls:
        text = httpx.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        ).text
    counts: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        bucket = BUCKET.fullmatch(name)
        if bucket is not None:
            counts[bucket.group(1)] = float(value)
    return counts


def served_share(before: dict[str, float], after: dict[str, float]) -> str:
    total = max(1.0, after["+Inf"] - before.get("+Inf", 0.0))
    return ", ".join(
        f"{(after[bound] - before.get(bound, 0.0)) / total:.0%} in {float(bound) * 1000:.0f} ms"
        for bound in ("0.05", "0.1", "0.25")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000, help="requests per phase")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=2, help="serve processes (PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=3, help="no-op and hub phases, taken in turn")
    parser.add_argument(
        "--rate", type=float, help="hub POSTs a second (the no-op still runs flat out)"
    )
    parser.add_argument("--quick", action="store_true", help="1,000 requests, one round")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds = 1000, 1
    processes = args.processes if args.db == "postgres" else 1
    print(
        f"POST /v1/reports, {args.requests} requests a phase, {args.clients} clients, {args.db},"
        f" {processes} serve process(es)"
    )
    ratios: list[float] = []
    with (
        fresh_database(args.db) as database_url,
        tempfile.TemporaryDirectory() as folder,
        hub_processes(
            database_url, Path(folder), processes, noop=True, HUB_METRICS_TOKEN=METRICS_TOKEN
        ) as urls,
    ):
        token = setup_hotlines(urls[0])
        asyncio.run(drive(urls, "/bench/noop", token, 200, args.clients, "warm"))
        asyncio.run(drive(urls, "/v1/reports", token, 500, args.clients, "warm"))
        analyze(database_url)  # autovacuum is off on the bench machines
        for round_ in range(args.rounds):
            noop_rate, noop_lat = asyncio.run(
                drive(urls, "/bench/noop", token, args.requests, args.clients, f"noop{round_}")
            )
            before = served(urls)
            hub_rate, hub_lat = asyncio.run(
                drive(
                    urls,
                    "/v1/reports",
                    token,
                    args.requests,
                    args.clients,
                    f"post{round_}",
                    args.rate,
                )
            )
            ratios.append(hub_rate / noop_rate)
            print(
                f"  round {round_ + 1}: hub {hub_rate:4.0f} req/s"
                f" p50 {percentile(hub_lat, 0.5) * 1000:6.1f} ms"
                f" p99 {percentile(hub_lat, 0.99) * 1000:6.1f} ms"
                f" (the servers answered {served_share(before, served(urls))});"
                f" no-op {noop_rate:4.0f} req/s p50 {percentile(noop_lat, 0.5) * 1000:5.1f} ms"
                f" p99 {percentile(noop_lat, 0.99) * 1000:5.1f} ms; ratio {ratios[-1]:.2f}"
            )
    if args.rate is None:
        print(f"  ratio (hub / no-op throughput), median of {args.rounds}: {median(ratios):.2f}")


if __name__ == "__main__":
    main()
