"""Pull (PROTOCOL 5): a hotline's own events in hub order, with the signatures they were
pushed with, and acks that only ever touch the caller's own events."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import rfc8785

from tests.conftest import Hub, report
from tests.delivery.conftest import Clock, delivery, referral_status
from tests.support.receiver import Receiver, public_key_from_whpk, verify


def pull_all(client: Any, limit: int = 100) -> list[dict[str, Any]]:
    items, after = [], None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        answer = client.get("/v1/events", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        if page["next"] is None:
            return items
        after = page["next"]


def test_pull_returns_only_the_callers_events_in_order_and_ack_ignores_other_ids(
    api: Hub,
) -> None:
    nl = api.register("NL-MELDPUNT", ["NL"])
    de = api.register("DE-ECO", ["DE"])
    iwf = api.register("GB-IWF", ["GB"])
    referrals = []
    for n, url in enumerate(
        [
            "https://files.example.net/1",
            "https://images.example.de/2",
            "https://files.example.net/3",
        ]
    ):
        answer = iwf.post("/v1/reports", json=report(f"REF-{n}", url))
        referrals.append(answer.json()["routing"]["referral"])

    nl_events = pull_all(nl)
    de_events = pull_all(de)
    assert [e["data"]["id"] for e in nl_events] == [referrals[0], referrals[2]]
    assert [e["data"]["id"] for e in de_events] == [referrals[1]]
    assert all(e["data"]["to"] == "NL-MELDPUNT" for e in nl_events)
    assert pull_all(iwf) == []  # nothing delivered yet, so nothing to tell the reporter

    foreign = nl.post("/v1/events/ack", json={"ids": [de_events[0]["id"], "evt_unknown"]})
    assert foreign.status_code == 200, foreign.text
    assert foreign.json() == {"acknowledged": 0}
    assert referral_status(de, referrals[1]) == "pending"
    assert delivery(api, de_events[0]["id"])["state"] == "pending"

    own = nl.post("/v1/events/ack", json={"ids": [e["id"] for e in nl_events]})
    assert own.json() == {"acknowledged": 2}
    assert referral_status(nl, referrals[0]) == "delivered"
    assert referral_status(nl, referrals[2]) == "delivered"
    assert delivery(api, nl_events[0]["id"], "delivered")["attempts"] == 0
    again = nl.post("/v1/events/ack", json={"ids": [nl_events[0]["id"]]})
    assert again.json() == {"acknowledged": 1}  # idempotent

    told = pull_all(iwf)
    assert [(e["type"], e["data"]["status"]) for e in told] == [
        ("case.status_changed", "delivered")
    ] * 2
    assert {e["data"]["referral"] for e in told} == {referrals[0], referrals[2]}


def test_pull_items_are_signed_when_served_over_the_bytes_that_were_pushed(
    api: Hub, receivers: Callable[[], Receiver], hub_clock: Clock
) -> None:
    keys = api.client().get("/v1/keys").json()["keys"]
    public_key = public_key_from_whpk(keys[0]["webhook_public_key"])
    meldpunt = receivers()
    nl = api.register("NL-MELDPUNT", ["NL"], webhook_url=meldpunt.url)
    iwf = api.register("GB-IWF", ["GB"])
    iwf.post("/v1/reports", json=report())
    [push] = meldpunt.wait_delivered(1).values()

    hub_clock.advance(timedelta(hours=2))
    [item] = pull_all(nl)

    assert item["id"] == push.id
    assert abs(item["timestamp"] - hub_clock.now().timestamp()) < 60
    assert item["timestamp"] >= int(push.timestamp) + 7200
    signed = {key: item[key] for key in ("id", "type", "created_at", "data")}
    body = rfc8785.dumps(signed)
    assert body == push.body
    assert verify(public_key, item["id"], str(item["timestamp"]), body, item["signature"])


def test_the_feed_pages_by_cursor_and_refuses_bad_cursors_and_other_principals(api: Hub) -> None:
    nl = api.register("NL-MELDPUNT", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])
    for n in range(3):
        iwf.post("/v1/reports", json=report(f"REF-{n}", f"https://files.example.net/{n}"))

    first = nl.get("/v1/events", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"] is not None
    rest = nl.get("/v1/events", params={"after": first["next"]}).json()
    assert len(rest["items"]) == 1 and rest["next"] is not None
    caught_up = nl.get("/v1/events", params={"after": rest["next"]}).json()
    assert caught_up == {"items": [], "next": None}
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert ids == [e["id"] for e in pull_all(nl, limit=1)]
    assert len(set(ids)) == 3

    assert nl.get("/v1/events", params={"after": "evt_x"}).status_code == 422
    assert nl.get("/v1/events", params={"limit": 0}).status_code == 422
    assert api.admin.get("/v1/events").status_code == 403
    assert api.client().get("/v1/events").status_code == 401
    assert nl.post("/v1/events/ack", json={"ids": []}).status_code == 422
    assert nl.post("/v1/events/ack", json={"ids": ["x"], "extra": 1}).status_code == 422


def test_new_events_after_a_caught_up_cursor_show_up_in_order(api: Hub) -> None:
    nl = api.register("NL-MELDPUNT", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])
    iwf.post("/v1/reports", json=report("REF-0", "https://files.example.net/0"))
    cursor = nl.get("/v1/events").json()["next"]
    iwf.post("/v1/reports", json=report("REF-1", "https://files.example.net/1"))
    iwf.post("/v1/reports", json=report("REF-2", "https://files.example.net/2"))

    newer = nl.get("/v1/events", params={"after": cursor}).json()["items"]

    assert [e["data"]["url"] for e in newer] == [
        "https://files.example.net/1",
        "https://files.example.net/2",
    ]


def test_an_ack_of_an_id_with_a_control_character_is_422(api: Hub) -> None:
    meldpunt = api.register("NL-MELDPUNT", ["NL"])
    answer = meldpunt.post("/v1/events/ack", json={"ids": ["evt_\u00001"]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"][:2] == ["body", "ids"]
