"""Batch ingest: N distinct reports through POST /v1/reports:batch on real hub processes,
against the physical floor of the same data in the same run, with the checkpoint lag.

    .venv/bin/python -m bench.bench_ingest [--n 100000] [--db sqlite|postgres|both]
        [--processes 2] [--clients 4] [--preload 10000] [--rate 2000] [--pdq] [--known 1000000]
        [--quick]

First `--preload` reports are ingested untimed and the database is ANALYZEd (autovacuum is
off on the bench machines); then N reports are timed. PostgreSQL runs `--processes` serve
processes, the batches spread over them; SQLite runs one.

- hub: reports/s of the timed ingest.
- floor: the rows the hub wrote for those N reports (reports, cases, case_reporters,
  contents, content_hashes, referrals, log leaves and nodes, events), loaded again into
  the same tables of a fresh database holding the preload: `COPY` on PostgreSQL,
  `executemany` on SQLite, one transaction. Printed as reports/s and the ratio hub / floor.
- checkpoint lag: a poller reads GET /v1/log/checkpoint every `--poll` seconds during the
  timed ingest; for each 2xx batch, the time from its answer until a checkpoint's size
  covers every leaf of its reports (found after the run by digest in the log). p50/p99,
  within one poll interval. `--rate` offers the reports at that pace (a batch at a time)
  instead of flat out, to read the lag at a given load; the clients must keep up with it.

--pdq gives every report a random PDQ hash (quality 90); --known first writes that many
contents with a PDQ hash each (PostgreSQL, COPY) and warms the hub's index untimed.
"""

import argparse
import base64
import hashlib
import json
import secrets
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import rfc8785

from bench import _floor
from bench._support import (
    ADMIN_TOKEN,
    analyze,
    fresh_database,
    hub_processes,
    make_report,
    percentile,
    setup_hotlines,
)
from bench.bench_pdq_startup import fill_known_pdq

BATCH = 1000


def with_pdq(body: dict) -> dict:
    pdq = {"alg": "pdq", "value": secrets.token_hex(32), "quality": 90}
    body["content"]["hashes"].append(pdq)
    return body


@dataclass
class Acknowledged:
    """Each 2xx batch: when its answer arrived, and the report answers in it."""

    batches: list[tuple[float, list[dict[str, Any]]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def hub_ingest(
    urls: list[str],
    token: str,
    n: int,
    clients: int,
    pdq: bool = False,
    run: str = "",
    acknowledged: Acknowledged | None = None,
    rate: float = 0,
) -> float:
    """Sends n reports in batches of BATCH from `clients` threads, spread over `urls`;
    with a `rate`, batch i leaves no earlier than i * BATCH / rate seconds after the first."""
    batches = [
        [make_report(i, run) for i in range(start, min(n, start + BATCH))]
        for start in range(0, n, BATCH)
    ]
    if pdq:
        batches = [[with_pdq(body) for body in batch] for batch in batches]
        for url in urls:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
                warm = with_pdq(make_report(0, f"warm-{run}-{url[-5:]}"))
                client.post("/v1/reports", json=warm, timeout=600).raise_for_status()

    def send(numbered: tuple[int, list[dict]]) -> None:
        number, batch = numbered
        if rate:
            time.sleep(max(0.0, started + number * BATCH / rate - time.perf_counter()))
        with httpx.Client(
            base_url=urls[number % len(urls)],
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        ) as client:
            answer = client.post("/v1/reports:batch", json={"reports": batch})
            answer.raise_for_status()
            results = answer.json()["results"]
            statuses = {r["status"] for r in results}
            assert statuses == {201}, statuses
        if acknowledged is not None:
            with acknowledged.lock:
                acknowledged.batches.append((time.perf_counter(), results))

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, enumerate(batches)))
    return n / (time.perf_counter() - started)


class CheckpointPoller:
    """Reads GET /v1/log/checkpoint every `interval` seconds (the processes in turn) and
    records (time the answer arrived, tree size)."""

    def __init__(self, urls: list[str], token: str, interval: float) -> None:
        self.clients = [
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            for url in urls
        ]
        self.interval = interval
        self.seen: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        turn = 0
        while not self._stop.is_set():
            note = self.clients[turn % len(self.clients)].get("/v1/log/checkpoint")
            self.seen.append((time.perf_counter(), int(note.text.split("\n")[1])))
            turn += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> "CheckpointPoller":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for client in self.clients:
            client.close()


def leaf_indexes(url: str, token: str) -> dict[str, int]:
    """The last leaf index of each digest in the whole log, read as an auditor."""
    last: dict[str, int] = {}
    start = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        while items := client.get("/v1/log/entries", params={"start": start}).json()["items"]:
            for item in items:
                last[json.loads(base64.b64decode(item["leaf_input"]))["digest"]] = item["index"]
            start = items[-1]["index"] + 1
    return last


def checkpoint_lags(
    acknowledged: Acknowledged, seen: list[tuple[float, int]], indexes: dict[str, int]
) -> list[float]:
    """For each batch: seconds from its answer to the first checkpoint read covering all
    its reports' leaves (0 when one read before the answer arrived already did)."""
    lags = []
    for answered_at, results in acknowledged.batches:
        reports = [{k: v for k, v in r.items() if k != "status"} for r in results]
        needed = 1 + max(indexes[_digest(report)] for report in reports)
        covering = next((at for at, size in seen if size >= needed), None)
        if covering is not None:
            lags.append(max(0.0, covering - answered_at))
    return lags


def _digest(report: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(rfc8785.dumps(report)).hexdigest()


def auditor_token(url: str) -> str:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as admin:
        answer = admin.post("/v1/tokens", json={"principal": "auditor", "subject": "bench"})
        return str(answer.json()["token"])


def run(kind: str, args: argparse.Namespace) -> None:
    processes = args.processes if kind == "postgres" else 1
    clients = args.clients or 2 * processes
    with (
        fresh_database(kind) as database_url,
        fresh_database(kind) as floor_url,
        tempfile.TemporaryDirectory() as folder,
    ):
        if args.known:
            fill_known_pdq(database_url, args.known)
        with hub_processes(database_url, Path(folder), processes) as urls:
            token = setup_hotlines(urls[0])
            auditor = auditor_token(urls[0])
            if args.preload:
                hub_ingest(urls, token, args.preload, clients, args.pdq, run="pre")
            analyze(database_url)
            # The preload's events and leaves all numbered, so none counts as written later.
            httpx.get(
                f"{urls[0]}/v1/log/checkpoint", headers={"Authorization": f"Bearer {auditor}"}
            ).raise_for_status()
            before = _floor.snapshot(database_url)
            acknowledged = Acknowledged()
            with CheckpointPoller(urls, auditor, args.poll) as poller:
                hub_rate = hub_ingest(
                    urls, token, args.n, clients, args.pdq, "t", acknowledged, args.rate
                )
                time.sleep(2 * args.poll + 1.5)  # the last batches' checkpoints
            lags = checkpoint_lags(acknowledged, poller.seen, leaf_indexes(urls[0], auditor))
            written = _floor.new_rows(before, _floor.snapshot(database_url))
        _floor.prepare(floor_url, before)
        analyze(floor_url)
        floor_rate = args.n / _floor.load(floor_url, written)
    rows = sum(len(table_rows) for table_rows in written.values())
    label = f", pdq, {args.known:,} known" if args.pdq else ""
    offered = f", offered {args.rate:,.0f} reports/s" if args.rate else ""
    print(f"{kind}{label}: {processes} serve process(es), {clients} clients{offered}")
    print(f"  hub batch ingest: {hub_rate:8.0f} reports/s")
    print(
        f"  floor ({'COPY' if kind == 'postgres' else 'executemany'} of the same {rows:,} rows):"
        f" {floor_rate:8.0f} reports/s   ratio hub / floor {hub_rate / floor_rate:.3f}"
    )
    covered = f"{len(lags)} of {len(acknowledged.batches)} batches covered"
    if lags:
        print(
            f"  checkpoint lag per batch: p50 {percentile(lags, 0.5) * 1000:.0f} ms"
            f"  p99 {percentile(lags, 0.99) * 1000:.0f} ms  ({covered}, poll {args.poll * 1000:.0f} ms)"
        )
    else:
        print(f"  checkpoint lag: no batch covered ({covered})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--processes", type=int, default=2, help="serve processes (PostgreSQL)")
    parser.add_argument("--clients", type=int, default=0, help="batches in flight (2 a process)")
    parser.add_argument("--preload", type=int, default=None, help="untimed first (default n/10)")
    parser.add_argument("--rate", type=float, default=0, help="reports/s offered (0: flat out)")
    parser.add_argument("--poll", type=float, default=0.05, help="checkpoint poll interval, s")
    parser.add_argument("--pdq", action="store_true", help="a random PDQ hash in every report")
    parser.add_argument("--known", type=int, default=0, help="known PDQ hashes (PostgreSQL)")
    parser.add_argument("--quick", action="store_true", help="5,000 reports, a short check")
    args = parser.parse_args()
    if args.quick:
        args.n = 5000
    if args.preload is None:
        args.preload = args.n // 10
    print(
        f"batch ingest of {args.n} distinct reports after {args.preload} preloaded, batches of {BATCH}"
    )
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        run(kind, args)


if __name__ == "__main__":
    main()
