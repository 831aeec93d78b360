"""Fixtures of the contention tests: three `serve` and two `worker` processes on one
PostgreSQL database, a loopback webhook receiver for the hotline the reports route to,
and reporting hotlines holding real tokens made through the admin API."""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, free_port, report
from tests.support.processes import Cluster, hub_cluster
from tests.support.receiver import Push, Receiver, public_key_from_pem

# files.example.net is in NL (tests/conftest.py): every report is referred to NL-MELDPUNT.
RECEIVER = "NL-MELDPUNT"
REPORTERS = ["GB-IWF", "DE-ECO", "FR-PDC", "BE-CHILDFOCUS"]
WORKER_SETTINGS = {
    "HUB_DELIVERY_POLL_INTERVAL": "0.02",
    "HUB_WEBHOOK_TIMEOUT": "5",
    "HUB_DELIVERY_LEASE_SECONDS": "30",  # no lease runs out mid-push: a second push is a bug
}


def body(reference: str, url: str, sha256: str) -> dict[str, Any]:
    """A report of `url` whose content is known by its sha256 alone."""
    hashes = [{"alg": "sha256", "value": sha256}]
    return report(reference, url=url, content={"kind": "image", "hashes": hashes})


@dataclass
class Answer:
    """What one report got: `status` None when the request failed at connection level,
    `error` then naming how."""

    hotline: str
    reference: str
    process: int
    via: str  # "single" or "batch"
    status: int | None
    body: dict[str, Any] | None
    error: str | None = None

    @property
    def report(self) -> dict[str, Any]:
        """The report answer as the reporter holds it (a batch item without its status)."""
        assert self.body is not None
        return {key: value for key, value in self.body.items() if key != "status"}


class Exchange:
    """Test-side handle on the cluster: clients per (hotline, process), auditors, the
    receiver, and plain SQL on the hub's database."""

    def __init__(self, cluster: Cluster, settings: Settings, receiver: Receiver) -> None:
        self.cluster = cluster
        self.urls = cluster.urls
        self.receiver = receiver
        self._engine = create_engine(settings.database_url)
        self.tokens = {"admin": ADMIN_TOKEN}
        self._clients = {("admin", n): self._new_client(n, ADMIN_TOKEN) for n in range(3)}
        admin = self.client("admin", 0)
        body = {"id": RECEIVER, "name": RECEIVER, "countries": ["NL"], "webhook_url": receiver.url}
        assert admin.post("/v1/hotlines", json=body).status_code == 201
        for n, hotline in enumerate(REPORTERS):
            body = {"id": hotline, "name": hotline, "countries": [hotline[:2]]}
            answer = self.client("admin", n % 3).post("/v1/hotlines", json=body)
            assert answer.status_code == 201, answer.text
            self.tokens[hotline] = self._token(admin, "hotline", hotline)
        self.tokens["auditor"] = self._token(admin, "auditor", "board")
        for who, token in self.tokens.items():
            for n in range(3):
                self._clients.setdefault((who, n), self._new_client(n, token))
        [key] = admin.get("/v1/keys").json()["keys"]
        self.verifier_key: str = key["note_verifier_key"]

    def _token(self, admin: httpx.Client, principal: str, subject: str) -> str:
        answer = admin.post("/v1/tokens", json={"principal": principal, "subject": subject})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def _new_client(self, process: int, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.urls[process],
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            # Never reuse a connection the server may be closing for idleness (uvicorn: 5 s).
            limits=httpx.Limits(max_connections=200, keepalive_expiry=2.0),
        )

    def client(self, who: str, process: int) -> httpx.Client:
        """A client of hotline `who` (or "auditor", "admin") talking to serve process `process`."""
        return self._clients[(who, process)]

    def post(self, hotline: str, process: int, body: dict[str, Any]) -> list[Answer]:
        """One POST /v1/reports."""
        try:
            answer = self.client(hotline, process).post("/v1/reports", json=body)
        except httpx.TransportError as exc:
            return [
                Answer(
                    hotline, body["reference"], process, "single", None, None, type(exc).__name__
                )
            ]
        return [
            Answer(hotline, body["reference"], process, "single", answer.status_code, _json(answer))
        ]

    def batch(self, hotline: str, process: int, bodies: list[dict[str, Any]]) -> list[Answer]:
        """One POST /v1/reports:batch; each item's answer, or the whole request's."""
        try:
            answer = self.client(hotline, process).post(
                "/v1/reports:batch", json={"reports": bodies}
            )
        except httpx.TransportError as exc:
            error = type(exc).__name__
            return [
                Answer(hotline, b["reference"], process, "batch", None, None, error) for b in bodies
            ]
        if answer.status_code != 200:
            problem = _json(answer)
            return [
                Answer(hotline, b["reference"], process, "batch", answer.status_code, problem)
                for b in bodies
            ]
        return [
            Answer(hotline, b["reference"], process, "batch", result["status"], result)
            for b, result in zip(bodies, answer.json()["results"], strict=True)
        ]

    def pushes_delivering(self, referrals: set[str], timeout: float = 20.0) -> list[Push]:
        """Every push received, once each referral's `referral.created` has been accepted."""

        def delivered(pushes: list[Push]) -> bool:
            accepted = {
                p.event["data"]["id"]
                for p in pushes
                if p.answered == 204 and p.event["type"] == "referral.created"
            }
            return accepted >= referrals

        return self.receiver.wait_for(delivered, timeout)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self._engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._engine.dispose()


def _json(answer: httpx.Response) -> dict[str, Any]:
    """The answer's JSON; a body that is none (a server's bare 500) as its title."""
    try:
        return dict(answer.json())
    except ValueError:
        return {"title": answer.text[:60]}


@pytest.fixture
def exchange(settings: Settings, tmp_path: Path) -> Iterator[Exchange]:
    """Three serve processes, then the receiver and hotlines, then two workers."""
    ports = [free_port() for _ in range(3)]
    with hub_cluster(settings, ports, tmp_path / "logs", **WORKER_SETTINGS) as cluster:
        with Receiver(public_key_from_pem(settings.signing_key_path)) as receiver:
            handle = Exchange(cluster, settings, receiver)
            cluster.start_workers(settings, 2, **WORKER_SETTINGS)
            try:
                yield handle
            finally:
                handle.close()
                alive = [worker.poll() is None for worker in cluster.workers]
        assert alive == [True, True], "a worker died:\n" + cluster.log_tails()


def at_once(calls: list[Callable[[], list[Answer]]]) -> list[Answer]:
    """Runs every call in its own thread, released together; their answers in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[list[Answer]] = [[] for _ in calls]

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [answer for answers in results for answer in answers]
