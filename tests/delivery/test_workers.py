"""`python -m hub worker` processes: a worker killed mid-batch loses nothing, a stopped one
exits cleanly, and two workers on PostgreSQL push each event exactly once."""

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL, Hub, ServerThread, report
from tests.delivery.conftest import wait_until
from tests.support.processes import start_worker
from tests.support.receiver import Receiver, public_key_from_pem


def submit(client: Any, count: int, prefix: str = "REF") -> list[str]:
    reports = [
        report(f"{prefix}-{n}", f"https://files.example.net/{prefix}/{n}") for n in range(count)
    ]
    answer = client.post("/v1/reports:batch", json={"reports": reports})
    assert answer.status_code == 200, answer.text
    return [result["routing"]["referral"] for result in answer.json()["results"]]


def all_event_ids(client: Any) -> list[str]:
    ids, after = [], None
    while True:
        params = {"limit": 1000, **({"after": after} if after else {})}
        page = client.get("/v1/events", params=params).json()
        ids += [item["id"] for item in page["items"]]
        if page["next"] is None:
            return ids
        after = page["next"]


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=15)


def test_a_worker_killed_mid_batch_loses_nothing_and_a_stopped_one_exits_cleanly(
    hub_with: Callable[..., ServerThread], tmp_path: Path
) -> None:
    hub = hub_with(inprocess_worker=False)
    settings = hub.app.state.hub.settings
    api = Hub(hub.url)
    with Receiver(public_key_from_pem(settings.signing_key_path)) as meldpunt:
        meldpunt.delay = 0.05  # slow enough that the kill falls in the middle of a batch
        nl = api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
        iwf = api.register("GB-IWF", ["GB"])
        referrals = submit(iwf, 40)
        events = all_event_ids(nl)
        assert len(events) == 40

        first = start_worker(settings, tmp_path / "worker.log", delivery_concurrency=8)
        meldpunt.wait_for(lambda pushes: len(pushes) >= 10, timeout=20)
        first.kill()
        assert first.wait(timeout=10) == -signal.SIGKILL
        received_before = {push.id for push in meldpunt.pushes}
        assert len(received_before) < 40

        second = start_worker(settings, tmp_path / "worker.log")
        try:
            delivered = meldpunt.wait_delivered(40, timeout=30)
            assert set(delivered) == set(events)
            assert all(push.verified for push in meldpunt.pushes), [
                (push.id, len(push.body)) for push in meldpunt.pushes if not push.verified
            ]
            wait_until(
                lambda: all(
                    nl.get(f"/v1/referrals/{r}").json()["status"] == "delivered" for r in referrals
                )
            )
        finally:
            assert stop(second) == 0
    api.close()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set HUB_TEST_DATABASE_URL")
def test_two_workers_push_each_of_1000_events_exactly_once(
    hub_with: Callable[..., ServerThread], tmp_path: Path
) -> None:
    hub = hub_with(inprocess_worker=False)
    settings = hub.app.state.hub.settings
    api = Hub(hub.url)
    with Receiver(public_key_from_pem(settings.signing_key_path)) as meldpunt:
        nl = api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
        iwf = api.register("GB-IWF", ["GB"])
        submit(iwf, 1000)
        events = all_event_ids(nl)
        assert len(events) == 1000

        workers = [
            start_worker(settings, tmp_path / f"worker-{n}.log", delivery_lease_seconds=30)
            for n in range(2)
        ]
        try:
            meldpunt.wait_delivered(1000, timeout=60)
            time.sleep(0.5)  # a second push of anything would arrive by now
        finally:
            assert [stop(worker) for worker in workers] == [0, 0]
        pushed = Counter(push.id for push in meldpunt.pushes)
        assert set(pushed) == set(events)
        assert set(pushed.values()) == {1}
        assert all(push.verified for push in meldpunt.pushes)

        engine = create_engine(settings.database_url)
        with engine.connect() as connection:
            owners = connection.execute(
                text(
                    "SELECT lease_owner, count(*) FROM events"
                    " WHERE recipient = 'NL-MELDPUNT' AND state = 'delivered' GROUP BY 1"
                )
            ).all()
        engine.dispose()
        assert sum(count for _, count in owners) == 1000
        assert len(owners) == 2, owners  # both workers took part
    api.close()
