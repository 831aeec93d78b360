"""Database outages under load, on a PostgreSQL server of the test's own: a restart and a
pg_terminate_backend of every hub connection. The API answers only 2xx or 503 with
Retry-After, nothing acknowledged is lost, and the worker stays up and goes on pushing."""

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from hub.db import APPLICATION_NAME
from hub.errors import PROBLEM_BASE
from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, POSTGRES_URL, Hub, free_port, libpq, report
from tests.support.private_postgres import PrivatePostgres, find_binaries
from tests.support.processes import ROOT, _wait_healthy, hub_environment, start_worker
from tests.support.receiver import Receiver, public_key_from_pem

CLIENTS = 4
# What no log line may carry: a reported URL or anything shaped like a content hash.
DATA = re.compile(r"files\.example\.net|[0-9a-f]{64}")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not POSTGRES_URL:
        reason = "outage test runs on PostgreSQL runs only (HUB_TEST_DATABASE_URL)"
        print(f"skipped: {reason}")
        pytest.skip(reason)
    binaries = find_binaries()
    if binaries is None:
        pytest.fail("PostgreSQL run without initdb/pg_ctl: install the server binaries")
    server = PrivatePostgres(binaries)
    try:
        server.start()
        yield server
    finally:
        server.close()


class Load:
    """Hotline clients submitting reports one by one; a 503 is retried with the same
    reference (the idempotency key) after its Retry-After, scaled down for the test."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.statuses: list[int] = []
        self.missing_retry_after = 0
        self.failures: list[str] = []
        self.acknowledged: dict[str, str] = {}  # report id -> referral id
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(CLIENTS)
        ]

    def _run(self, client_number: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                ref = f"OUT-{client_number}-{n}"
                body = report(ref, f"https://files.example.net/outage/{client_number}/{n}")
                while True:
                    try:
                        answer = client.post("/v1/reports", json=body)
                    except httpx.HTTPError as exc:
                        with self._lock:
                            self.failures.append(type(exc).__name__)
                        return
                    with self._lock:
                        self.statuses.append(answer.status_code)
                    if answer.status_code != 503:
                        break
                    if not answer.headers.get("retry-after", "").isdigit():
                        with self._lock:
                            self.missing_retry_after += 1
                    time.sleep(0.05)
                if answer.is_success:
                    payload = answer.json()
                    with self._lock:
                        self.acknowledged[payload["id"]] = payload["routing"]["referral"]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def serve(settings: Settings, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = hub_environment(settings, HUB_LOG_LEVEL="INFO", HUB_INPROCESS_WORKER="0")
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=output,
        )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process)
    return process, url


def outage_lines(log: Path) -> list[str]:
    return [
        line
        for line in log.read_text().splitlines()
        if "database unavailable" in line or "database available again" in line
    ]


def _assert_pushed(
    meldpunt: Receiver, referrals: set[str], worker: subprocess.Popen[bytes]
) -> None:
    """Every referral pushed to `meldpunt` and verified, by a worker still running."""
    pushed = meldpunt.wait_for(
        lambda pushes: referrals <= {p.event["data"]["id"] for p in pushes if p.answered},
        timeout=30,
    )
    assert all(push.verified for push in pushed)
    assert worker.poll() is None, "the worker exited"


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def all_report_ids(client: httpx.Client) -> set[str]:
    ids: set[str] = set()
    after = None
    while True:
        page = client.get(
            "/v1/reports", params={"limit": 1000, **({"after": after} if after else {})}
        )
        assert page.status_code == 200, page.text
        ids |= {item["id"] for item in page.json()["items"]}
        if (after := page.json()["next"]) is None:
            return ids


@pytest.mark.postgres
def test_a_restart_and_killed_connections_answer_503_lose_nothing_and_the_worker_goes_on(
    private_postgres: PrivatePostgres, settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = settings_for(database_url=private_postgres.create_database("hub"))
    serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    server, url = serve(settings, serve_log)
    worker = start_worker(settings, worker_log, log_level="INFO", delivery_lease_seconds=5)
    api = Hub(url)
    try:
        with Receiver(public_key_from_pem(settings.signing_key_path)) as meldpunt:
            api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
            iwf = api.register("GB-IWF", ["GB"])
            token = iwf.headers["authorization"].removeprefix("Bearer ")

            with Load(url, token) as load:
                time.sleep(1.5)
                private_postgres.stop("fast")
                time.sleep(1.0)
                private_postgres.start()
                time.sleep(1.5)
                assert private_postgres.terminate("hub") > 0
                time.sleep(1.5)

            assert load.failures == []
            assert set(load.statuses) <= {200, 201, 503}, sorted(set(load.statuses))
            assert 503 in load.statuses  # the restart was seen, and answered as an outage
            assert load.missing_retry_after == 0
            assert len(load.acknowledged) > 20

            after = iwf.post("/v1/reports", json=report("OUT-AFTER", "https://files.example.net/x"))
            assert after.status_code == 201, after.text
            referrals = {*load.acknowledged.values(), after.json()["routing"]["referral"]}

            assert set(load.acknowledged) <= all_report_ids(iwf)
            _assert_pushed(meldpunt, referrals, worker)
    finally:
        api.close()
        _stop(worker, server)

    for log in (serve_log, worker_log):
        text = log.read_text()
        assert not DATA.search(text), DATA.search(text)
        assert '"level": "error"' not in text, log.name
        lines = outage_lines(log)
        # Once per outage, however many requests or polls failed during it.
        assert 1 <= sum("unavailable" in line for line in lines) <= 4, (log.name, lines)
        assert "available again" in lines[-1], (log.name, lines)
    assert ADMIN_TOKEN not in serve_log.read_text()


def _read_only(database_url: str, on: bool) -> None:
    """Turns the database read-only (as a demoted primary or a standby is) or back, and
    drops the hub's connections so that its new ones are made under the new setting."""
    name = make_url(database_url).database
    value = (
        "SET default_transaction_read_only = on" if on else "RESET default_transaction_read_only"
    )
    server = libpq(make_url(database_url).set(database="postgres").render_as_string(False))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" {value}')
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = %s",
            [name, APPLICATION_NAME],
        )


def _until(answer: Callable[[], httpx.Response], status: int) -> httpx.Response:
    """`answer()` until it has `status` (a dropped connection is replaced at checkout, so
    the first tries may still see the old setting); the last answer."""
    for _ in range(50):
        response = answer()
        if response.status_code == status:
            return response
        time.sleep(0.1)
    return response


@pytest.mark.postgres
def test_a_database_gone_read_only_answers_writes_503_serves_reads_and_recovers(
    settings_for: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    if not POSTGRES_URL:
        pytest.skip("a read-only database is a PostgreSQL state (HUB_TEST_DATABASE_URL)")
    settings = settings_for()
    serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    server, url = serve(settings, serve_log)
    worker = start_worker(settings, worker_log, log_level="INFO")
    api = Hub(url)
    try:
        with Receiver(public_key_from_pem(settings.signing_key_path)) as meldpunt:
            api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
            iwf = api.register("GB-IWF", ["GB"])
            before = iwf.post("/v1/reports", json=report("RO-1", "https://files.example.net/ro1"))
            assert before.status_code == 201, before.text
            ready = _until(lambda: httpx.get(f"{url}/readyz"), 200)  # the worker checked in
            assert ready.status_code == 200, ready.text

            _read_only(database_url, True)
            body = report("RO-2", "https://files.example.net/ro2")
            refused = _until(lambda: iwf.post("/v1/reports", json=body), 503)
            assert refused.status_code == 503, refused.text
            assert refused.json()["type"] == PROBLEM_BASE + "unavailable"
            assert refused.headers["retry-after"].isdigit()
            read = iwf.get(f"/v1/reports/{before.json()['id']}")
            assert read.status_code == 200, read.text
            time.sleep(1.0)  # the worker and the sequencer meet it too

            _read_only(database_url, False)
            accepted = _until(lambda: iwf.post("/v1/reports", json=body), 201)
            assert accepted.status_code == 201, accepted.text
            referrals = {answer.json()["routing"]["referral"] for answer in (before, accepted)}
            _assert_pushed(meldpunt, referrals, worker)
    finally:
        api.close()
        _read_only(database_url, False)
        _stop(worker, server)

    for log in (serve_log, worker_log):  # each met it, logged it once and carried on
        text = log.read_text()
        assert '"level": "error"' not in text, text[-3000:]
        lines = outage_lines(log)
        # The read-only database once, not once per read that went through meanwhile; a
        # process whose connection was in use when the test dropped the connections (before
        # and after) logs that too: three outages at most, a warning and an info each.
        read_only = [line for line in lines if '"sqlstate": "25006"' in line]
        assert len(read_only) == 1 and len(lines) <= 6, (log.name, lines)
        assert "available again" in lines[-1], (log.name, lines)
