"""A request whose transaction the database picks as a deadlock (or serialization) victim
is run again, body and all, and the client sees only the answer of the run that won."""

from collections.abc import Callable

import psycopg
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from hub.app import create_app
from hub.settings import Settings


def _victim(sqlstate: str) -> OperationalError:
    error = {"40P01": psycopg.errors.DeadlockDetected, "40001": psycopg.errors.SerializationFailure}
    return OperationalError("UPDATE …", {}, error[sqlstate]("chosen as the victim"))


def _app(settings: Settings, failures: int, sqlstate: str) -> tuple[TestClient, Callable[[], int]]:
    app = create_app(settings)
    runs: list[bytes] = []

    @app.post("/test/lost-lock")
    async def lost_lock(request: Request) -> dict[str, int]:
        runs.append(await request.body())
        if len(runs) <= failures:
            raise _victim(sqlstate)
        return {"runs": len(runs), "bytes": len(runs[-1])}

    return TestClient(app, raise_server_exceptions=False), lambda: len(runs)


def test_a_deadlock_victim_is_run_again_with_its_body(settings: Settings) -> None:
    client, runs = _app(settings, failures=2, sqlstate="40P01")
    answer = client.post("/test/lost-lock", json={"reports": ["x" * 100]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"runs": 3, "bytes": len('{"reports":["' + "x" * 100 + '"]}')}
    assert runs() == 3


def test_a_serialization_failure_is_run_again(settings: Settings) -> None:
    client, runs = _app(settings, failures=1, sqlstate="40001")
    assert client.post("/test/lost-lock", json={}).status_code == 200
    assert runs() == 2


def test_a_request_that_keeps_losing_answers_500_after_four_runs(settings: Settings) -> None:
    client, runs = _app(settings, failures=10, sqlstate="40P01")
    answer = client.post("/test/lost-lock", json={})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert runs() == 4
