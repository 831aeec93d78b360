"""Deduplication under concurrency: several `serve` processes on one PostgreSQL database.

Hotlines fire the same URL (and the same reference) at every process at once;
the database, not the code, must keep it to one case, one referral, one report.
"""

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hub.db import Database
from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, POSTGRES_URL, free_port, report
from tests.support.processes import serve_processes

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs PostgreSQL: set HUB_TEST_DATABASE_URL"
)

HOTLINES = ["GB-IWF", "DE-ECO", "FR-POINTDECONTACT", "BE-CHILDFOCUS", "AT-STOPLINE", "IT-HOTLINE"]


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _count(settings: Settings, sql: str) -> int:
    database = Database(settings)
    with database.engine.connect() as connection:
        value = connection.execute(text(sql)).scalar_one()
    database.dispose()
    return int(value)


@pytest.fixture
def cluster(settings: Settings) -> Any:
    with serve_processes(settings, [free_port() for _ in range(3)]) as urls:
        admin = httpx.Client(base_url=urls[0], headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        admin.post(
            "/v1/hotlines", json={"id": "NL-MELDPUNT", "name": "Meldpunt", "countries": ["NL"]}
        )
        tokens = {}
        for hotline in HOTLINES:
            body = {"id": hotline, "name": hotline, "countries": [hotline[:2]]}
            assert admin.post("/v1/hotlines", json=body).status_code == 201
            tokens[hotline] = admin.post(
                "/v1/tokens", json={"principal": "hotline", "subject": hotline}
            ).json()["token"]
        admin.close()
        yield urls, tokens


def test_same_url_from_six_hotlines_at_once_on_three_processes_opens_one_case(
    cluster: Any, settings: Settings
) -> None:
    urls, tokens = cluster
    for round_ in range(5):
        url = f"https://files.example.net/race/{round_}"

        def send(index: int, hotline: str, url: str = url, round_: int = round_) -> httpx.Response:
            with httpx.Client(
                base_url=urls[index % len(urls)],
                headers={"Authorization": f"Bearer {tokens[hotline]}"},
                timeout=30,
            ) as client:
                return client.post("/v1/reports", json=report(f"race-{round_}", url=url))

        answers = _at_once([lambda i=i, h=h: send(i, h) for i, h in enumerate(HOTLINES)])

        assert [a.status_code for a in answers] == [201] * len(HOTLINES), [a.text for a in answers]
        bodies = [a.json() for a in answers]
        assert len({b["case"]["id"] for b in bodies}) == 1
        assert sum(b["case"]["opened"] for b in bodies) == 1
        assert len({b["routing"]["referral"] for b in bodies}) == 1
    assert _count(settings, "SELECT count(*) FROM cases") == 5
    assert _count(settings, "SELECT count(*) FROM referrals") == 5
    assert _count(settings, "SELECT count(*) FROM case_reporters") == 5 * len(HOTLINES)


def test_same_reference_twice_at_once_stores_one_report(cluster: Any, settings: Settings) -> None:
    urls, tokens = cluster
    body = report("twice", url="https://files.example.net/twice")

    def send(index: int) -> httpx.Response:
        with httpx.Client(
            base_url=urls[index % len(urls)],
            headers={"Authorization": f"Bearer {tokens['GB-IWF']}"},
            timeout=30,
        ) as client:
            return client.post("/v1/reports", json=body)

    answers = _at_once([lambda i=i: send(i) for i in range(6)])

    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert _count(settings, "SELECT count(*) FROM reports") == 1
    assert _count(settings, "SELECT count(*) FROM cases") == 1
