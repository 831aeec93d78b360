"""The PostgreSQL pool: a connection the server dropped while it sat idle (a restart,
`pg_terminate_backend`) is replaced when it is next checked out, no request meets it; a
process keeps to HUB_DATABASE_POOL_SIZE connections however many requests race; and
connections PostgreSQL refuses (its limit reached) answer 503, not 500."""

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hub.db import APPLICATION_NAME, Database
from hub.errors import PROBLEM_BASE
from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, POSTGRES_URL, free_port, libpq, report
from tests.support.processes import serve_processes

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs PostgreSQL: set HUB_TEST_DATABASE_URL"
)
REQUESTS = 24


def _backend_pid(database: Database) -> int:
    with database.session(write=False) as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(database_url: str, pid: int) -> None:
    with psycopg.connect(libpq(database_url), autocommit=True) as connection:
        assert connection.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        for _ in range(100):  # until the backend has gone
            query = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s"
            if connection.execute(query, [pid]).fetchone() == (0,):
                return
            time.sleep(0.05)
    raise AssertionError("the terminated backend did not go away")


def test_a_connection_killed_while_idle_is_replaced_at_checkout(database_url: str) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        for _ in range(3):  # and again: the replacement is pooled like any other
            killed = _backend_pid(database)
            _kill(database_url, killed)
            assert _backend_pid(database) != killed  # a statement ran: no error
        assert not database.outage.down
    finally:
        database.dispose()


def _hotline_client(url: str) -> httpx.Client:
    """A client of a new hotline, GB-IWF, made through the admin API of the hub at `url`."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as admin:
        body = {"id": "GB-IWF", "name": "IWF", "countries": ["GB"]}
        assert admin.post("/v1/hotlines", json=body).status_code == 201
        answer = admin.post("/v1/tokens", json={"principal": "hotline", "subject": "GB-IWF"})
        assert answer.status_code == 201, answer.text
        token = answer.json()["token"]
    limits = httpx.Limits(max_connections=REQUESTS, keepalive_expiry=2.0)
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=url, headers=headers, timeout=60, limits=limits)


def _at_once(client: httpx.Client, send: Callable[[httpx.Client, int], int]) -> list[int]:
    """`send(client, n)` for n in range(REQUESTS), released together; what each returned."""
    barrier = threading.Barrier(REQUESTS)

    def run(n: int) -> int:
        barrier.wait()
        return send(client, n)

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        return list(pool.map(run, range(REQUESTS)))


def _hub_connections(database_url: str) -> int:
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = %s"
    )
    with psycopg.connect(libpq(database_url), autocommit=True) as connection:
        row = connection.execute(query, [APPLICATION_NAME]).fetchone()
        assert row is not None
        return int(row[0])


def test_a_serve_process_keeps_to_its_pool_size_under_load(settings: Settings) -> None:
    most = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, _hub_connections(settings.database_url))
            time.sleep(0.005)

    with serve_processes(settings, [free_port()], HUB_DATABASE_POOL_SIZE="2") as [url]:
        client = _hotline_client(url)
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            statuses = [
                _at_once(client, lambda c, n, r=r: _post(c, f"POOL-{r}-{n}")) for r in range(3)
            ]
        finally:
            done.set()
            watcher.join()
            client.close()

    assert statuses == [[201] * REQUESTS] * 3
    assert 1 <= most <= 3  # the pool's two and the notification listener's one


def _post(client: httpx.Client, reference: str) -> int:
    url = f"https://files.example.net/pool/{reference}"
    return client.post("/v1/reports", json=report(reference, url)).status_code


def test_connections_beyond_postgres_limit_answer_503_and_the_retry_succeeds(
    settings: Settings,
) -> None:
    # A role allowed three connections stands for a server at max_connections: the same
    # refusal (SQLSTATE 53300) for a pool that wants ten.
    role = f"hub_budget_{secrets.token_hex(4)}"
    database = make_url(settings.database_url).database
    grants = [
        f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 3',
        f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
    ]
    with psycopg.connect(libpq(settings.database_url), autocommit=True) as connection:
        for statement in grants:
            connection.execute(statement)
    limited = settings.model_copy(
        update={
            "database_url": make_url(settings.database_url)
            .set(username=role)
            .render_as_string(False)
        }
    )
    answers: list[tuple[int, str | None, str | None]] = []
    lock = threading.Lock()

    def send(client: httpx.Client, n: int, round: int) -> int:
        body = report(f"LIMIT-{round}-{n}", f"https://files.example.net/limit/{round}/{n}")
        for _ in range(200):
            answer = client.post("/v1/reports", json=body)
            with lock:
                problem = answer.json().get("type") if answer.status_code == 503 else None
                answers.append((answer.status_code, answer.headers.get("retry-after"), problem))
            if answer.status_code != 503:
                return answer.status_code
            time.sleep(0.05)  # Retry-After, scaled down for the test
        return 503

    try:
        with serve_processes(limited, [free_port()]) as [url], _hotline_client(url) as client:
            finals = [_at_once(client, lambda c, n, r=r: send(c, n, r)) for r in range(3)]
    finally:
        with psycopg.connect(libpq(settings.database_url), autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role]
            )
            connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP ROLE "{role}"')

    assert finals == [[201] * REQUESTS] * 3
    refused = [answer for answer in answers if answer[0] == 503]
    assert refused, "no request met the connection limit: the test did not test it"
    assert {status for status, _, _ in answers} == {201, 503}
    assert all(after is not None and after.isdigit() for _, after, _ in refused)
    assert {problem for _, _, problem in refused} == {PROBLEM_BASE + "unavailable"}
