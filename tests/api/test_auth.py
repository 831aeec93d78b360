"""Principals and tokens (PROTOCOL.md section 2): 401, 403 and 404 exactly as written."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from hub.db import Database
from hub.settings import Settings
from schemas.common import format_timestamp
from tests.conftest import Hub, ServerThread, report


def test_no_token_or_a_bad_token_is_401(api: Hub) -> None:
    anonymous = api.client()
    wrong = api.client("hub_not-a-real-token")

    for client in (anonymous, wrong):
        answer = client.get("/v1/hotlines")
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"] == "Bearer"


def test_a_hotline_token_on_an_admin_endpoint_is_403(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])

    assert iwf.get("/v1/hotlines").status_code == 403
    assert iwf.post("/v1/tokens", json={"principal": "admin", "subject": "x"}).status_code == 403
    assert iwf.get("/v1/stats").status_code == 403


def test_an_admin_or_auditor_token_on_a_hotline_endpoint_is_403(api: Hub) -> None:
    auditor = api.client(api.token("auditor", "oversight-board"))

    assert api.admin.post("/v1/reports", json=report()).status_code == 403
    assert auditor.post("/v1/reports", json=report()).status_code == 403
    assert auditor.get("/v1/hotlines").status_code == 403


def test_token_is_shown_once_and_listed_without_its_secret(api: Hub) -> None:
    created = api.admin.post("/v1/tokens", json={"principal": "auditor", "subject": "board"})

    assert created.status_code == 201
    secret = created.json()["token"]
    assert len(secret) >= 43  # 256 bits of base64url
    listed = api.admin.get("/v1/tokens").json()["items"]
    assert [t["id"] for t in listed] == [created.json()["id"]]
    assert secret not in str(listed)


def test_tokens_are_stored_only_as_a_hash(api: Hub, settings: Settings) -> None:
    secret = api.token("auditor", "board")

    database = Database(settings)
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM tokens")).all()
    database.dispose()
    assert rows and secret not in str(rows)


def test_a_revoked_token_is_401_at_once(api: Hub) -> None:
    created = api.admin.post("/v1/tokens", json={"principal": "auditor", "subject": "board"}).json()
    auditor = api.client(created["token"])
    assert auditor.get("/v1/reports").status_code == 403  # authenticated, wrong principal

    revoked = api.admin.delete(f"/v1/tokens/{created['id']}")

    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert auditor.get("/v1/reports").status_code == 401
    assert api.admin.delete("/v1/tokens/tok_unknown").status_code == 404


def test_an_expired_token_is_401(api: Hub) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=1)
    created = api.admin.post(
        "/v1/tokens",
        json={"principal": "auditor", "subject": "b", "expires_at": format_timestamp(soon)},
    )
    assert created.status_code == 201
    past = api.admin.post(
        "/v1/tokens",
        json={"principal": "auditor", "subject": "b", "expires_at": "2020-01-01T00:00:00Z"},
    )

    assert past.status_code == 422
    assert past.json()["errors"][0]["loc"] == ["body", "expires_at"]
    import time

    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    assert api.client(created.json()["token"]).get("/v1/reports").status_code == 401


def test_a_hotline_token_needs_a_registered_hotline(api: Hub) -> None:
    answer = api.admin.post("/v1/tokens", json={"principal": "hotline", "subject": "XX-NOBODY"})

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "subject"]


def test_a_deactivated_hotline_cannot_use_its_token(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    assert iwf.get("/v1/reports").status_code == 200

    api.admin.patch("/v1/hotlines/GB-IWF", json={"active": False})

    assert iwf.get("/v1/reports").status_code == 401


def test_rate_limit_answers_429_with_retry_after(settings_for) -> None:  # type: ignore[no-untyped-def]
    with ServerThread(settings_for(rate_limit_per_second=1, rate_limit_burst=3)) as server:
        api = Hub(server.url)
        statuses = [api.admin.get("/v1/hotlines") for _ in range(5)]
        api.close()

    assert [a.status_code for a in statuses[:3]] == [200, 200, 200]
    limited = statuses[-1]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("short", "at least 32"),
        ("a" * 32, "repeat"),
        ("ab" * 20, "repeat"),
        ("0123456789abcdef" * 2, "repeat"),
        ("test-admin-" + "a" * 40, "too little entropy"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "too little entropy"),
    ],
)
def test_a_weak_bootstrap_admin_token_is_refused_at_start(token: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        Settings(admin_token=token)
    with pytest.raises(ValueError, match=why):
        Settings(metrics_token=token)


def test_random_32_hex_digit_admin_tokens_are_strong_enough() -> None:
    draw = random.Random(9)  # seeded: the same 1000 tokens every run
    for _ in range(1000):
        Settings(admin_token=f"{draw.getrandbits(128):032x}")
