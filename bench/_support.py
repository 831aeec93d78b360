"""Shared bench helpers: start a real hub process on a fresh database, make reports."""

import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "bench-admin-Wz3Rk8Fp1Yt6Ms9Qc4Lh7Bn2Dv5Jx0Ga"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A new empty database: a temp SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    server = os.environ.get("HUB_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    name = f"hub_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def hub_process(database_url: str, folder: Path, noop: bool = False, **env: str) -> Iterator[str]:
    """`python -m hub serve` on a free port with rate limiting off; yields its URL.
    With `noop`, bench/serve_with_noop.py instead: the same app plus POST /bench/noop."""
    with hub_processes(database_url, folder, 1, noop, **env) as [url]:
        yield url


@contextmanager
def hub_processes(
    database_url: str,
    folder: Path,
    count: int,
    noop: bool = False,
    root: Path = ROOT,
    **env: str,
) -> Iterator[list[str]]:
    """`count` serve processes on one database, sharing the key file in `folder`; the
    first migrates and creates the key before the others start. Yields their URLs.
    `root`: the checkout whose hub they run (another one, to compare versions)."""
    hosts = folder / "hosts.json"
    hosts.write_text(json.dumps({"files.example.net": ["193.0.6.139"]}))
    environment = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_ADMIN_TOKEN": ADMIN_TOKEN,
        "HUB_SIGNING_KEY": str(folder / "key.pem"),
        "HUB_STATIC_HOSTS": str(hosts),
        "HUB_RATE_LIMIT_PER_SECOND": "0",
        "HUB_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(root),
        **env,
    }
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            command = (
                [sys.executable, str(root / "bench" / "serve_with_noop.py"), str(port)]
                if noop
                else [sys.executable, "-m", "hub", "serve", "--port", str(port)]
            )
            processes.append(subprocess.Popen(command, env=environment, cwd=root))
            urls.append(f"http://127.0.0.1:{port}")
            _wait_healthy(urls[-1], processes[-1])
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 240  # a loaded 2-core box starts slowly
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the hub did not start")
        time.sleep(0.1)


def analyze(database_url: str) -> None:
    """ANALYZE every table: autovacuum is off on the bench machines, and without
    statistics the planner scans tables it would look up by index."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            connection.execute("ANALYZE")
        return
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("ANALYZE")


def setup_hotlines(url: str) -> str:
    """Registers NL-MELDPUNT and GB-IWF; returns a GB-IWF token."""
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    for hotline, country in (("NL-MELDPUNT", "NL"), ("GB-IWF", "GB")):
        admin.post("/v1/hotlines", json={"id": hotline, "name": hotline, "countries": [country]})
    token = admin.post("/v1/tokens", json={"principal": "hotline", "subject": "GB-IWF"}).json()[
        "token"
    ]
    admin.close()
    return token


def make_report(index: int, run: str = "") -> dict[str, Any]:
    return {
        "reference": f"BENCH-{run}{index}",
        "url": f"https://files.example.net/{run}{index}.jpg",
        "content": {"kind": "image", "hashes": [{"alg": "sha256", "value": secrets.token_hex(32)}]},
        "assessment": {"classification": "baseline", "age_group": "prepubescent"},
        "site_type": "image_host",
        "observed_at": "2026-11-24T09:30:00Z",
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
