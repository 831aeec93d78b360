"""`hubctl submit --file` of N reports (default 100k, JSONL) against the raw batch endpoint
driven by plain httpx, each on its own fresh hub; prints both rates and their ratio.

Run: python -m bench.bench_hubctl [--reports N] [--rounds R]. Each hub is
`python -m hub serve` on a temp SQLite database, rate limiting off
(HUB_RATE_LIMIT_PER_SECOND=0), static hosts instead of DNS. The goal is a ratio >= 0.9:
the CLI (parsing, validation of answers, progress file) costs little next to the hub.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench._support import ROOT, hub_process, make_report, setup_hotlines

BATCH = 1000


def write_reports(path: Path, count: int, tag: str) -> None:
    with path.open("w") as out:
        for index in range(count):
            out.write(json.dumps(make_report(index, f"{tag}-")) + "\n")


def raw_httpx(url: str, token: str, source: Path) -> tuple[float, int]:
    """The floor: read lines, post batches of 1000, read the answers; nothing else."""
    accepted = 0
    started = time.perf_counter()
    with (
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=300
        ) as client,
        source.open() as lines,
    ):
        batch: list[dict] = []
        for line in lines:
            batch.append(json.loads(line))
            if len(batch) == BATCH:
                answer = client.post("/v1/reports:batch", json={"reports": batch})
                accepted += sum(1 for r in answer.json()["results"] if r.get("status") == 201)
                batch = []
        if batch:
            answer = client.post("/v1/reports:batch", json={"reports": batch})
            accepted += sum(1 for r in answer.json()["results"] if r.get("status") == 201)
    return time.perf_counter() - started, accepted


def hubctl(url: str, token: str, source: Path) -> tuple[float, int, float]:
    """`hubctl submit --file`, process start to exit; also its CPU seconds."""
    env = {**os.environ, "HUB_URL": url, "HUB_TOKEN": token, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "clients.cli", "submit", "--file", str(source), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"hubctl failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, summary["total"] - summary["rejected"], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    raw_times: list[float] = []
    cli_times: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        for round_number in range(args.rounds):
            # Alternate the order so a machine that slows down does not favour one side.
            order = ("raw", "hubctl") if round_number % 2 == 0 else ("hubctl", "raw")
            for side in order:
                work = base / f"{side}-{round_number}"
                work.mkdir()
                source = work / "reports.jsonl"
                write_reports(source, args.reports, f"{side[0].upper()}{round_number}")
                with hub_process(f"sqlite:///{work / 'hub.db'}", work) as url:
                    token = setup_hotlines(url)
                    if side == "raw":
                        elapsed, accepted = raw_httpx(url, token, source)
                        raw_times.append(elapsed)
                        print(f"raw httpx  {accepted:>7} reports {elapsed:7.1f} s "
                              f"{accepted / elapsed:7.0f}/s")  # fmt: skip
                    else:
                        elapsed, accepted, cpu = hubctl(url, token, source)
                        cli_times.append(elapsed)
                        print(f"hubctl     {accepted:>7} reports {elapsed:7.1f} s "
                              f"{accepted / elapsed:7.0f}/s  (client CPU {cpu:.1f} s)")  # fmt: skip
                    if accepted != args.reports:
                        raise RuntimeError(f"{side}: {accepted} of {args.reports} accepted")
    raw, cli = statistics.median(raw_times), statistics.median(cli_times)
    print(
        f"ratio hubctl/raw throughput: {raw / cli:.3f} "
        f"(median of {args.rounds}; goal >= 0.9; N = {args.reports})"
    )


if __name__ == "__main__":
    main()
