"""CPU a report: what one `serve` process and its PostgreSQL backends spend on each report,
read from /proc, optionally side by side with another checkout of the hub.

    .venv/bin/python -m bench.bench_cpu [--db sqlite|postgres] [--against PATH]
        [--block 300] [--blocks 16] [--batch N]

Throughput on a shared 2-core machine moves by more than the gap between two versions,
and a run of one version, then one of the other, sees different hours. Here each
version gets its own `serve` process on its own fresh database, both started at once, and
they take turns: a block of `--block` reports to one (single POSTs one at a time, or
batches of `--batch`), then to the other, `--blocks` times. The CPU of each block is read
from /proc, after the log sequencer has had time to number it, so interference falls on
both alike; the medians and minimums over the blocks are the figures to compare.
`--against PATH` is another checkout, e.g. `git worktree add /tmp/base <commit>`.
"""

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from statistics import median

import httpx
import psycopg

from bench._support import ROOT, analyze, fresh_database, hub_processes, make_report, setup_hotlines

TICKS = os.sysconf("SC_CLK_TCK")
SETTLE = 0.3  # seconds for the sequencer to number and sign a block


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a backend that has gone
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def serve_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in command and port.encode() in command:
                return int(entry)
    raise RuntimeError("no serve process on that port")


def backends(database_url: str) -> list[int]:
    if not database_url.startswith("postgresql"):
        return []
    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
        return [row[0] for row in rows]


class Version:
    def __init__(self, name: str, url: str, database_url: str) -> None:
        self.name = name
        self.pid = serve_pid(url)
        self.database_url = database_url
        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {setup_hotlines(url)}"}, timeout=120
        )
        self.serve: list[float] = []
        self.postgres: list[float] = []

    def send(self, count: int, batch: int | None, tag: str) -> None:
        reports = (make_report(i, tag) for i in range(count))
        if batch is None:
            for report in reports:
                assert self.client.post("/v1/reports", json=report).status_code == 201
            return
        for start in range(0, count, batch):
            items = [next(reports) for _ in range(min(batch, count - start))]
            answer = self.client.post("/v1/reports:batch", json={"reports": items})
            assert answer.status_code == 200, answer.text

    def block(self, count: int, batch: int | None, tag: str) -> None:
        pids = backends(self.database_url)
        serve, postgres = cpu_seconds([self.pid]), cpu_seconds(pids)
        self.send(count, batch, tag)
        time.sleep(SETTLE)
        self.serve.append(1000 * (cpu_seconds([self.pid]) - serve) / count)
        self.postgres.append(1000 * (cpu_seconds(pids) - postgres) / count)


def started(stack: ExitStack, db: str, roots: dict[str, Path]) -> Iterator[Version]:
    for name, root in roots.items():
        database_url = stack.enter_context(fresh_database(db))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        [url] = stack.enter_context(hub_processes(database_url, folder, 1, root=root))
        version = Version(name, url, database_url)
        version.send(300, None, "warm")
        analyze(database_url)  # autovacuum is off on the bench machines
        yield version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--block", type=int, default=300, help="reports a block")
    parser.add_argument("--blocks", type=int, default=16, help="blocks for each version")
    parser.add_argument("--batch", type=int, help="send batches of this many, not single POSTs")
    args = parser.parse_args()
    roots = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    how = f"batches of {args.batch}" if args.batch else "single POSTs one at a time"
    print(f"CPU a report, {args.db}, {args.blocks} blocks of {args.block} ({how}), in turn")
    with ExitStack() as stack:
        versions = list(started(stack, args.db, roots))
        for number in range(args.blocks):
            for version in versions if number % 2 == 0 else versions[::-1]:
                version.block(args.block, args.batch, f"b{number}-")
        for version in versions:
            print(
                f"  {version.name:7} serve {median(version.serve):5.2f} ms"
                f" (min {min(version.serve):5.2f})"
                + (
                    f"   PostgreSQL {median(version.postgres):5.2f} ms"
                    f" (min {min(version.postgres):5.2f})"
                    if args.db == "postgres"
                    else ""
                )
            )
        if len(versions) == 2:
            this, against = versions
            ratio = median(this.serve) / median(against.serve)
            print(f"  serve CPU, this / against (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
