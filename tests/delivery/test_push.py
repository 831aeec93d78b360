"""Push (PROTOCOL 5): signed webhooks, retries with backoff, dead letters and their retry."""

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785

from tests.conftest import Hub, report
from tests.delivery.conftest import Clock, delivery, referral_status, wait_until
from tests.support.receiver import Receiver, public_key_from_pem, public_key_from_whpk, verify


def move_past_next_attempt(api: Hub, hub_clock: Clock, event_id: str, attempts: int) -> None:
    """Waits until the event has failed `attempts` times, then moves the clock past its retry."""
    item = wait_until(
        lambda: (found := delivery(api, event_id)) and found["attempts"] == attempts and found
    )
    due = datetime.fromisoformat(item["next_attempt_at"])
    hub_clock.advance(due - hub_clock.now() + timedelta(seconds=1))


def test_a_referral_is_pushed_signed_and_verifies_with_the_published_key_alone(
    api: Hub, receivers: Callable[[], Receiver]
) -> None:
    keys = api.client().get("/v1/keys").json()["keys"]
    public_key = public_key_from_whpk(keys[0]["webhook_public_key"])
    meldpunt = receivers()
    nl = api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
    iwf = api.register("GB-IWF", ["GB"])

    referral_id = iwf.post("/v1/reports", json=report()).json()["routing"]["referral"]

    [push] = meldpunt.wait_delivered(1).values()
    event = push.event
    assert push.verified
    assert verify(public_key, push.id, push.timestamp, push.body, push.signature)
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == "referral.created"
    assert event["data"]["id"] == referral_id
    assert event["data"]["to"] == "NL-MELDPUNT"
    assert push.id == event["id"] and event["id"].startswith("evt_")
    assert push.signature.startswith("v1a,")
    assert push.body == rfc8785.dumps(event)  # canonical: a puller can rebuild the bytes
    assert abs(int(push.timestamp) - time.time()) < 60
    assert push.path == "/hooks/hub"
    wait_until(lambda: referral_status(nl, referral_id) == "delivered")


def test_pushes_that_fail_are_retried_until_delivered_and_the_referral_becomes_delivered(
    api: Hub, receivers: Callable[[], Receiver], hub_clock: Clock
) -> None:
    meldpunt = receivers()
    meldpunt.fail_first = 3
    nl = api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
    iwf = api.register("GB-IWF", ["GB"])
    referral_id = iwf.post("/v1/reports", json=report()).json()["routing"]["referral"]
    [first] = meldpunt.wait_for(lambda pushes: len(pushes) >= 1)
    event_id = first.id

    for attempts in (1, 2, 3):
        failed = wait_until(
            lambda n=attempts: (d := delivery(api, event_id)) and d["attempts"] == n and d
        )
        assert failed["last_error"] == "HTTP 500"
        assert referral_status(nl, referral_id) == "pending"
        move_past_next_attempt(api, hub_clock, event_id, attempts)

    delivered = meldpunt.wait_delivered(1)
    assert list(delivered) == [event_id]
    assert [p.id for p in meldpunt.pushes] == [event_id] * 4
    assert all(p.verified for p in meldpunt.pushes)
    # Each attempt is signed with its own time (the clock moved on between them), so a
    # receiver with the Standard Webhooks 5-minute tolerance accepts the late ones too.
    timestamps = [int(p.timestamp) for p in meldpunt.pushes]
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == 4
    assert len({p.signature for p in meldpunt.pushes}) == 4
    assert abs(timestamps[-1] - hub_clock.now().timestamp()) < 60
    wait_until(lambda: referral_status(nl, referral_id) == "delivered")
    assert wait_until(lambda: delivery(api, event_id, "delivered"))["attempts"] == 4


def test_an_event_nobody_answers_is_dead_after_the_schedule_listed_and_retried(
    hub_with: Callable[..., Any], settings_for: Callable[..., Any], hub_clock: Clock
) -> None:
    hub = hub_with(webhook_timeout=0.3, webhook_connect_timeout=0.3, delivery_lease_seconds=5)
    api = Hub(hub.url)
    with Receiver(public_key_from_pem(hub.app.state.hub.settings.signing_key_path)) as silent:
        silent.silent = True
        nl = api.register("NL-MELDPUNT", ["NL"], webhook_url=silent.url)
        iwf = api.register("GB-IWF", ["GB"])
        referral_id = iwf.post("/v1/reports", json=report()).json()["routing"]["referral"]
        [first] = silent.wait_for(lambda pushes: len(pushes) >= 1)
        created = hub_clock.now()

        failed = wait_until(lambda: (d := delivery(api, first.id)) and d["attempts"] == 1 and d)
        assert failed["last_error"] == "timed out"
        # Still retried 25 hours on, and the last try falls on the window's end (26 h).
        hub_clock.advance(created + timedelta(hours=25) - hub_clock.now())
        failed = wait_until(lambda: (d := delivery(api, first.id)) and d["attempts"] == 2 and d)
        assert datetime.fromisoformat(failed["next_attempt_at"]) <= created + timedelta(hours=26)
        assert delivery(api, first.id, "dead") is None
        hub_clock.advance(created + timedelta(hours=26, seconds=1) - hub_clock.now())

        dead = wait_until(lambda: delivery(api, first.id, "dead"))
        assert dead["attempts"] == 3
        assert dead["last_error"] == "timed out"
        assert dead["type"] == "referral.created" and dead["recipient"] == "NL-MELDPUNT"
        assert dead["next_attempt_at"] is None
        assert "127.0.0.1" not in str(dead)
        assert referral_status(nl, referral_id) == "pending"
        # Dead is not lost: the event is still in the hotline's feed.
        assert [e["id"] for e in nl.get("/v1/events").json()["items"]] == [first.id]

        silent.silent = False
        retried = api.admin.post(f"/v1/deliveries/{first.id}/retry")
        assert retried.status_code == 200, retried.text
        assert retried.json()["state"] == "pending" and retried.json()["attempts"] == 0
        assert first.id in silent.wait_delivered(1)
        wait_until(lambda: referral_status(nl, referral_id) == "delivered")
        assert delivery(api, first.id, "dead") is None
    api.close()


def test_a_hotline_without_a_webhook_gets_pull_only_events_that_never_die(
    api: Hub, receivers: Callable[[], Receiver], hub_clock: Clock
) -> None:
    meldpunt = receivers()
    api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
    iwf = api.register("GB-IWF", ["GB"])  # no webhook: it pulls
    iwf.post("/v1/reports", json=report())
    meldpunt.wait_delivered(1)
    told = wait_until(lambda: iwf.get("/v1/events").json()["items"])
    assert [e["type"] for e in told] == ["case.status_changed"]
    assert told[0]["data"]["status"] == "delivered"

    hub_clock.advance(timedelta(hours=30))
    time.sleep(0.2)  # a few worker polls
    waiting = delivery(api, told[0]["id"])
    assert waiting is not None and waiting["attempts"] == 0 and waiting["next_attempt_at"] is None
    assert api.admin.get("/v1/deliveries", params={"state": "dead"}).json()["items"] == []


def test_deliveries_are_for_the_admin_and_retry_needs_a_known_undelivered_event(
    api: Hub, receivers: Callable[[], Receiver]
) -> None:
    meldpunt = receivers()
    nl = api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
    iwf = api.register("GB-IWF", ["GB"])
    iwf.post("/v1/reports", json=report())
    [event_id] = meldpunt.wait_delivered(1)

    assert nl.get("/v1/deliveries").status_code == 403
    assert api.admin.post("/v1/deliveries/evt_unknown/retry").status_code == 404
    assert wait_until(lambda: delivery(api, event_id, "delivered"))
    assert api.admin.post(f"/v1/deliveries/{event_id}/retry").status_code == 409
    assert api.admin.get("/v1/deliveries", params={"state": "lost"}).status_code == 422


def test_the_verification_recipe_in_the_docs_accepts_a_push_and_refuses_a_changed_one(
    api: Hub, receivers: Callable[[], Receiver]
) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "delivery.md").read_text()
    recipe = docs.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(recipe.replace("https://hub.example.org", api.url), namespace)
    meldpunt = receivers()
    api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
    api.register("GB-IWF", ["GB"]).post("/v1/reports", json=report())
    [push] = meldpunt.wait_delivered(1).values()
    headers = {
        "webhook-id": push.id,
        "webhook-timestamp": push.timestamp,
        "webhook-signature": f"v1,bm90IHRoaXMgb25l {push.signature}",
    }

    assert namespace["verified"](headers, push.body)
    assert not namespace["verified"](headers, push.body.replace(b"NL-MELDPUNT", b"NL-MELDPUNX"))
    assert not namespace["verified"]({**headers, "webhook-timestamp": "1"}, push.body)


def test_a_receiver_that_hangs_does_not_hold_up_pushes_to_others(
    api: Hub, receivers: Callable[[], Receiver]
) -> None:
    hanging, eco = receivers(), receivers()
    hanging.silent = True
    api.register("NL-MELDPUNT", ["NL"], webhook_url=hanging.url)
    api.register("DE-ECO", ["DE"], webhook_url=eco.url)
    iwf = api.register("GB-IWF", ["GB"])
    for n in range(3):
        iwf.post("/v1/reports", json=report(f"NL-{n}", f"https://files.example.net/{n}"))
    hanging.wait_for(lambda pushes: len(pushes) == 3)

    started = time.monotonic()
    iwf.post("/v1/reports", json=report("DE-1", "https://images.example.de/1"))

    [push] = eco.wait_delivered(1, timeout=5).values()
    assert push.event["data"]["to"] == "DE-ECO"
    assert time.monotonic() - started < 2  # the hub's webhook timeout is 10 s
