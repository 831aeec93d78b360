"""Start real `python -m hub …` processes for tests and wait until they answer."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def hub_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The HUB_* variables that reproduce `settings` in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    values = {
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_SIGNING_KEY": str(settings.signing_key_path),
        "HUB_ALLOW_PRIVATE_WEBHOOKS": "1" if settings.allow_private_webhooks else "0",
        "HUB_RATE_LIMIT_PER_SECOND": str(settings.rate_limit_per_second),
        "HUB_PDQ_THRESHOLD": str(settings.pdq_threshold),
        "HUB_LOG_LEVEL": "WARNING",
    }
    if settings.admin_token:
        values["HUB_ADMIN_TOKEN"] = settings.admin_token.get_secret_value()
    if settings.static_hosts:
        values["HUB_STATIC_HOSTS"] = str(settings.static_hosts)
    if settings.geoip_db:
        values["HUB_GEOIP_DB"] = str(settings.geoip_db)
    env.update(values)
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def serve_processes(settings: Settings, ports: list[int], **extra: str) -> Iterator[list[str]]:
    """Several `python -m hub serve` processes on one database; yields their base URLs."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--port", str(port)],
            env=hub_environment(settings, **extra),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            _wait_healthy(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stderr.read().decode()[-2000:] if process.stderr else "see its log"
            raise RuntimeError(f"hub process exited: {output}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"hub at {url} did not become healthy")


@dataclass
class Cluster:
    """`serve` processes (`urls[n]` is served by `serves[n]`) and `worker` processes on one
    database; each process writes its log to `logs/<name>.log`."""

    urls: list[str]
    serves: list[subprocess.Popen[bytes]]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path = Path()

    def start_workers(self, settings: Settings, count: int, **extra: str) -> None:
        for n in range(len(self.workers), len(self.workers) + count):
            self.workers.append(_spawn(settings, ["worker"], self.logs / f"worker-{n}.log", extra))

    def log_tails(self, characters: int = 1500) -> str:
        """The end of every process's log, for an assertion message."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-characters:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


@contextmanager
def hub_cluster(
    settings: Settings, ports: list[int], logs: Path, **extra: str
) -> Iterator[Cluster]:
    """`python -m hub serve` on each port, with no in-process worker; workers are started
    with `Cluster.start_workers` once the hotlines they push to exist. All are stopped at the
    end (SIGTERM, then SIGKILL after 15 s); a process the test killed is left as it is."""
    logs.mkdir(parents=True, exist_ok=True)
    extra = {"HUB_INPROCESS_WORKER": "0", **extra}
    serves = [
        _spawn(settings, ["serve", "--port", str(port)], logs / f"serve-{n}.log", extra)
        for n, port in enumerate(ports)
    ]
    cluster = Cluster([f"http://127.0.0.1:{port}" for port in ports], serves, logs=logs)
    try:
        for url, process in zip(cluster.urls, serves, strict=True):
            _wait_healthy(url, process)
        yield cluster
    finally:
        everything = [*cluster.workers, *serves]
        for process in everything:
            if process.poll() is None:
                process.terminate()
        for process in everything:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _spawn(
    settings: Settings, command: list[str], log: Path, extra: dict[str, str]
) -> subprocess.Popen[bytes]:
    # A file, not a pipe: a process logging a storm of errors must never block on a full pipe.
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "hub", *command],
            env=hub_environment(settings, **extra),
            cwd=ROOT,
            stdout=output,
            stderr=output,
        )


def start_worker(settings: Settings, log: Path, **overrides: Any) -> subprocess.Popen[bytes]:
    """A `python -m hub worker` process configured, as an operator would, through HUB_*
    variables; its output goes to `log`."""
    values = {
        "database_url": settings.database_url,
        "signing_key": settings.signing_key_path,
        "static_hosts": settings.static_hosts,
        "geoip_db": settings.geoip_db,
        "allow_private_webhooks": "1",
        "webhook_timeout": 2.0,
        "delivery_lease_seconds": 2.5,
        "delivery_poll_interval": 0.02,
        **overrides,
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.update({f"HUB_{key.upper()}": str(value) for key, value in values.items()})
    env["PYTHONPATH"] = str(ROOT)
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "hub", "worker"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
