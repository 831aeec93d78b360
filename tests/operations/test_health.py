"""`/healthz` (liveness), `/readyz` (what is missing) and an offline `/docs`."""

import re
import subprocess
import sys
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlparse

import httpx
import pytest

from hub.settings import Settings
from tests.conftest import POSTGRES_URL, ServerThread
from tests.support.processes import ROOT, hub_environment


@pytest.fixture
def settings(settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(inprocess_worker=True)


def wait_ready(url: str) -> httpx.Response:
    deadline = time.monotonic() + 60
    while (answer := httpx.get(f"{url}/readyz", timeout=60)).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.2)
    return answer


def test_ready_with_a_database_a_key_and_a_worker(hub: ServerThread) -> None:
    assert httpx.get(f"{hub.url}/healthz", timeout=60).status_code == 200
    checks = {"database": "ok", "signing_key": "ok"}
    if POSTGRES_URL:
        checks["worker"] = "ok"  # the in-process worker checks in too
    assert wait_ready(hub.url).json() == {"status": "ready", "checks": checks}


def test_not_ready_names_an_unreadable_signing_key(
    settings_for: Callable[..., Settings], tmp_path
) -> None:
    key = tmp_path / "broken-key.pem"
    with ServerThread(settings_for(signing_key=key, inprocess_worker=True)) as server:
        wait_ready(server.url)
        key.write_text("not a key")
        answer = httpx.get(f"{server.url}/readyz", timeout=60)
        assert answer.status_code == 503
        body = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert body["missing"] == ["signing_key"]
        assert body["checks"]["database"] == "ok"
        # Liveness only asks the database: the process itself is alive.
        assert httpx.get(f"{server.url}/healthz", timeout=60).status_code == 200


@pytest.mark.skipif(not POSTGRES_URL, reason="the worker heartbeat is checked on PostgreSQL")
def test_readiness_waits_for_a_delivery_worker_on_postgres(
    settings_for: Callable[..., Settings],
) -> None:
    settings = settings_for(inprocess_worker=False)
    with ServerThread(settings) as server:
        answer = httpx.get(f"{server.url}/readyz", timeout=60)
        assert answer.status_code == 503
        assert answer.json()["missing"] == ["worker"]
        worker = subprocess.Popen(
            [sys.executable, "-m", "hub", "worker"],
            env=hub_environment(settings),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert wait_ready(server.url).json()["checks"]["worker"] == "ok"
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        # A worker that stopped takes its heartbeat with it.
        assert httpx.get(f"{server.url}/readyz", timeout=60).json()["missing"] == ["worker"]


def test_docs_load_only_from_the_hubs_own_origin(hub: ServerThread) -> None:
    page = httpx.get(f"{hub.url}/docs", timeout=60)
    assert page.status_code == 200
    assert "swagger" in page.text.lower()
    own = urlparse(hub.url)
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    links += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
    assert len(links) >= 4, links
    for link in links:
        absolute = urlparse(urljoin(hub.url + "/docs", link))
        assert (absolute.scheme, absolute.netloc) == (own.scheme, own.netloc), link
        assert httpx.get(absolute.geturl(), timeout=60).status_code == 200, link
    # No other origin anywhere in the page, and no validator badge calling out.
    assert not re.search(r"(?:https?:)?//(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}", page.text)
    assert "validatorUrl" in page.text and '"validatorUrl": null' in page.text
