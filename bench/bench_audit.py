"""A full audit of a large log (every entry fetched and hashed to the signed root) against
the audit the hub's own proof endpoints allow (checkpoint + consistency proof), same log.

    .venv/bin/python -m bench.bench_audit [--reports 20000]

Builds the log by submitting reports in batches to a real hub process (about four
leaves a report), then times both audits with the SDK and prints the ratio.
"""

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from bench._support import ADMIN_TOKEN, fresh_database, hub_process, make_report, setup_hotlines
from clients import HubClient


def build_log(url: str, token: str, reports: int, run: str) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=300) as c:
        for start in range(0, reports, 1000):
            batch = [make_report(i, run) for i in range(start, min(reports, start + 1000))]
            c.post("/v1/reports:batch", json={"reports": batch}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=20_000)
    args = parser.parse_args()
    with (
        fresh_database("sqlite") as database_url,
        tempfile.TemporaryDirectory() as folder,
        hub_process(database_url, Path(folder)) as url,
    ):
        build_log(url, setup_hotlines(url), args.reports, "a")
        with HubClient(url, ADMIN_TOKEN) as admin:
            auditor = admin.tokens.create(principal="auditor", subject="bench").token
        with HubClient(url, auditor, timeout=300) as hub:
            first = Path(folder) / "proofs.json"
            hub.log.verify(first)  # trust on first use at some size
            build_log(url, _hotline_token(url), 1000, "b")
            started = time.perf_counter()
            by_proof = hub.log.verify(first)
            proof_seconds = time.perf_counter() - started

            started = time.perf_counter()
            full = hub.log.verify(Path(folder) / "full.json", full=True)
            full_seconds = time.perf_counter() - started
    size = full.checkpoint.size
    print(f"log of {size} leaves ({args.reports + 1000} reports)")
    print(
        f"  audit by consistency proof ({by_proof.previous_size} -> {by_proof.checkpoint.size}): {proof_seconds * 1000:8.1f} ms"
    )
    print(
        f"  full audit, every entry fetched and hashed: {full_seconds:8.2f} s  ({size / full_seconds:,.0f} leaves/s)"
    )
    print(f"  ratio full / proof: {full_seconds / proof_seconds:,.0f}x")


def _hotline_token(url: str) -> str:
    with HubClient(url, ADMIN_TOKEN) as admin:
        return admin.tokens.create(principal="hotline", subject="GB-IWF").token


if __name__ == "__main__":
    main()
