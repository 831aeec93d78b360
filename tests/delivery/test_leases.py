"""Leases, on either database: a claimed event is one worker's until its lease runs out,
and only the holder of the lease may record what became of it."""

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from hub.delivery import leases
from hub.delivery.models import Event
from hub.delivery.sender import PushResult
from hub.referrals.status import record_deliveries
from tests.conftest import Hub, ServerThread, report
from tests.delivery.conftest import Clock

LEASE = timedelta(seconds=60)


def queued_hub(hub_with: Callable[..., ServerThread], count: int) -> tuple[ServerThread, Hub]:
    """A hub without a worker, with `count` referrals waiting to be pushed to NL-MELDPUNT."""
    hub = hub_with(inprocess_worker=False)
    api = Hub(hub.url)
    api.register("NL-MELDPUNT", ["NL"], webhook_url="http://127.0.0.1:9/hook")
    iwf = api.register("GB-IWF", ["GB"])
    for n in range(count):
        iwf.post("/v1/reports", json=report(f"REF-{n}", f"https://files.example.net/{n}"))
    return hub, api


def test_a_leased_event_is_nobody_elses_until_the_lease_runs_out(
    hub_with: Callable[..., ServerThread], hub_clock: Clock
) -> None:
    hub, api = queued_hub(hub_with, 3)
    database = hub.app.state.hub.database

    with database.transaction() as session:
        mine = leases.claim(session, "worker-a", 10, LEASE)
    with database.transaction() as session:
        assert leases.claim(session, "worker-b", 10, LEASE) == []
    hub_clock.advance(LEASE + timedelta(seconds=1))  # worker-a died
    with database.transaction() as session:
        theirs = leases.claim(session, "worker-b", 10, LEASE)

    assert len(mine) == 3
    assert {c.event.id for c in theirs} == {c.event.id for c in mine}
    assert mine[0].webhook_url == "http://127.0.0.1:9/hook"
    with database.transaction() as session:
        assert leases.record(
            session, "worker-a", [(mine[0], PushResult(True))], record_deliveries
        ) == ["lost"]
    with database.transaction() as session:
        outcomes = [(theirs[0], PushResult(True)), (theirs[1], PushResult(False, "HTTP 503"))]
        assert leases.record(session, "worker-b", outcomes, record_deliveries) == [
            "delivered",
            "pending",
        ]
    with database.session(write=False) as session:
        failed = session.get(Event, theirs[1].event.id)
        assert failed is not None
        assert (failed.attempts, failed.last_error, failed.lease_until) == (1, "HTTP 503", None)
        assert failed.next_attempt_at is not None and failed.next_attempt_at > hub_clock.now()
    api.close()


def test_a_claim_takes_only_what_it_can_push_and_skips_busy_hotlines(
    hub_with: Callable[..., ServerThread],
) -> None:
    hub, api = queued_hub(hub_with, 3)
    database = hub.app.state.hub.database

    with database.transaction() as session:
        assert leases.claim(session, "worker-a", 3, LEASE, busy_recipients=["NL-MELDPUNT"]) == []
    with database.transaction() as session:
        first = leases.claim(session, "worker-a", 2, LEASE)
    with database.transaction() as session:
        rest = leases.claim(session, "worker-a", 2, LEASE)

    assert (len(first), len(rest)) == (2, 1)
    api.close()


def test_an_event_whose_hotline_dropped_its_webhook_waits_for_pull_only(
    hub_with: Callable[..., ServerThread],
) -> None:
    hub, api = queued_hub(hub_with, 1)
    database = hub.app.state.hub.database
    answer = api.admin.patch("/v1/hotlines/NL-MELDPUNT", json={"webhook_url": None})
    assert answer.status_code == 200, answer.text

    with database.transaction() as session:
        assert leases.claim(session, "worker-a", 10, LEASE) == []
    with database.session(write=False) as session:
        [event] = session.scalars(select(Event).where(Event.recipient == "NL-MELDPUNT"))
        assert (event.state, event.next_attempt_at, event.attempts) == ("pending", None, 0)
    api.close()
