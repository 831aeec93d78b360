"""Issue 9.1: a database error mid-intake never puts a reported URL or hash in a log line,
at any level, in any logger (the hub's, SQLAlchemy's, uvicorn's)."""

import hashlib
import secrets
import subprocess
import sys

import httpx
import psycopg
from sqlalchemy import create_engine, text

from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, free_port, libpq, report
from tests.support.processes import ROOT, _wait_healthy, hub_environment

SQLITE_TRIGGER = (
    "CREATE TRIGGER refuse_cases BEFORE INSERT ON cases "
    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
)
# PostgreSQL's own error DETAIL quotes the failing row (URL included) for a CHECK.
POSTGRES_CHECK = "ALTER TABLE cases ADD CONSTRAINT refuse_cases CHECK (length(url_key) < 0)"


def _break_case_inserts(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text(SQLITE_TRIGGER))
        engine.dispose()
        return
    with psycopg.connect(libpq(database_url)) as connection:
        connection.execute(POSTGRES_CHECK)


def test_a_database_error_mid_intake_logs_no_url_or_hash(settings: Settings) -> None:
    port = free_port()
    env = hub_environment(settings, HUB_LOG_LEVEL="DEBUG")
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port), "--access-log"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    secret_path = "leaky-" + secrets.token_hex(8)
    body = report("LEAK-1", url=f"https://files.example.net/{secret_path}.jpg")
    body["content"]["hashes"].append({"alg": "md5", "value": secrets.token_hex(16)})
    try:
        _wait_healthy(url, process, timeout=240)  # a loaded machine starts slowly
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert admin.post(
            "/v1/hotlines", json={"id": "GB-IWF", "name": "IWF", "countries": ["GB"]}
        ).is_success
        token = admin.post("/v1/tokens", json={"principal": "hotline", "subject": "GB-IWF"})
        _break_case_inserts(settings.database_url)
        answer = httpx.post(
            f"{url}/v1/reports",
            json=body,
            headers={"Authorization": f"Bearer {token.json()['token']}"},
            timeout=30,
        )
        batch = httpx.post(
            f"{url}/v1/reports:batch",
            json={"reports": [{**body, "reference": "LEAK-2"}]},
            headers={"Authorization": f"Bearer {token.json()['token']}"},
            timeout=30,
        )
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert answer.status_code == 500 and batch.status_code == 500
    logged = (out + err).decode()
    assert "unhandled error" in logged  # the failure itself is logged, at ERROR
    assert "IntegrityError" in logged or "OperationalError" in logged
    url_hash = hashlib.sha256(body["url"].encode()).hexdigest()
    for secret in (secret_path, url_hash, *(h["value"] for h in body["content"]["hashes"])):
        assert secret not in logged, logged[logged.find(secret) - 300 :][:600]
