"""PROTOCOL.md section 6: every move on the status graph is accepted, every other one is
409 naming the allowed next states, and a repeat is idempotent."""

import pytest

from tests.referrals.exchange import Exchange, Recorded

STATUSES = [
    "pending",
    "delivered",
    "accepted",
    "notice_sent",
    "law_enforcement_hold",
    "removed",
    "not_illegal",
    "content_gone",
    "rerouted",
]
# What the referral's hotline may post next; `delivered` is the hub's own move.
ALLOWED = {
    "pending": [],
    "delivered": ["accepted"],
    "accepted": ["notice_sent", "law_enforcement_hold", "not_illegal", "content_gone", "rerouted"],
    "notice_sent": ["notice_sent", "removed"],
    "law_enforcement_hold": ["notice_sent"],
    "removed": [],
    "not_illegal": [],
    "content_gone": [],
    "rerouted": [],
}
# How a fresh referral reaches each state.
PATHS = {
    "pending": [],
    "delivered": ["delivered"],
    "accepted": ["delivered", "accepted"],
    "notice_sent": ["delivered", "accepted", "notice_sent"],
    "law_enforcement_hold": ["delivered", "accepted", "law_enforcement_hold"],
    "removed": ["delivered", "accepted", "notice_sent", "removed"],
    "not_illegal": ["delivered", "accepted", "not_illegal"],
    "content_gone": ["delivered", "accepted", "content_gone"],
    "rerouted": ["delivered", "accepted", "rerouted"],
}


@pytest.mark.parametrize("current", STATUSES)
def test_every_move_from_a_state_is_accepted_or_refused_naming_the_allowed_states(
    hotlines: Exchange, current: str
) -> None:
    _, referral = hotlines.referral()
    hotlines.walk(referral, PATHS[current])

    for target in STATUSES:
        if target in ALLOWED[current]:
            continue
        answer = hotlines.post(referral, target, country="DE" if target == "rerouted" else None)
        assert answer.status_code == 409, (current, target, answer.text)
        problem = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert problem["allowed"] == ALLOWED[current]
        assert problem["current"] == current
        if ALLOWED[current]:
            assert "allowed next: " + ", ".join(ALLOWED[current]) in problem["detail"]
    assert hotlines.nl.get(f"/v1/referrals/{referral}").json()["status"] == current

    for target in ALLOWED[current]:
        _, fresh = hotlines.referral()
        hotlines.walk(fresh, PATHS[current])
        answer = hotlines.post(fresh, target, country="DE" if target == "rerouted" else None)
        assert answer.status_code == 200, (current, target, answer.text)
        assert answer.json()["id"] == fresh
        assert answer.json()["status"] == target


def test_the_hub_moves_a_pending_referral_to_delivered_once(
    hotlines: Exchange, recorded: Recorded
) -> None:
    case, referral = hotlines.referral()

    hotlines.deliver(referral, stamp_at := "2026-01-02T03:04:05Z")
    hotlines.deliver(referral)  # a second ack: nothing changes

    body = hotlines.nl.get(f"/v1/referrals/{referral}").json()
    assert body["status"] == "delivered"
    assert hotlines.history(case) == [(referral, "delivered")]
    assert hotlines.case(case)["status"] == "delivered"
    [(to, data)] = recorded.of("case.status_changed")
    assert to == ["GB-IWF"]
    assert data == {
        "case": case,
        "referral": referral,
        "status": "delivered",
        "occurred_at": stamp_at,
        "previous_status": "pending",
        "rerouted_from": None,
    }
    assert [kind for kind, _ in recorded.leaves].count("referral.delivered") == 1


def test_a_repeat_with_the_same_occurred_at_is_idempotent(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()
    hotlines.deliver(referral)
    accepted_at = hotlines.next_stamp()

    first = hotlines.post(referral, "accepted", accepted_at)
    again = hotlines.post(referral, "accepted", accepted_at)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert hotlines.history(case) == [(referral, "delivered"), (referral, "accepted")]
    # The same status at another time is a move, and `accepted` cannot follow itself.
    later = hotlines.post(referral, "accepted")
    assert later.status_code == 409
    assert later.json()["allowed"] == ALLOWED["accepted"]


def test_notice_sent_may_repeat_at_a_new_time_but_is_recorded_once_per_time(
    hotlines: Exchange,
) -> None:
    case, referral = hotlines.referral()
    hotlines.walk(referral, ["delivered", "accepted"])
    first_notice = hotlines.next_stamp()

    assert hotlines.post(referral, "notice_sent", first_notice).status_code == 200
    assert hotlines.post(referral, "notice_sent", first_notice).status_code == 200
    assert hotlines.post(referral, "notice_sent").status_code == 200
    # An older status sent again is not a repeat of the current one.
    assert hotlines.post(referral, "accepted").status_code == 409

    assert [status for _, status in hotlines.history(case)] == [
        "delivered",
        "accepted",
        "notice_sent",
        "notice_sent",
    ]


def test_status_changes_are_logged_and_told_to_every_reporter(
    hotlines: Exchange, recorded: Recorded
) -> None:
    case, referral = hotlines.referral()
    other = hotlines.api.register("FR-PHAROS", ["FR"])
    joined = hotlines.submit(client=other, url=hotlines.case(case)["url"])
    assert joined["case"] == {"id": case, "opened": False, "status": "pending"}
    hotlines.walk(referral, ["delivered", "accepted", "notice_sent"])
    removed_at = hotlines.next_stamp()

    answer = hotlines.post(referral, "removed", removed_at)

    assert answer.status_code == 200
    to, data = recorded.of("case.status_changed")[-1]
    assert to == ["GB-IWF", "FR-PHAROS"]
    assert data == {
        "case": case,
        "referral": referral,
        "status": "removed",
        "occurred_at": removed_at,
        "previous_status": "notice_sent",
        "rerouted_from": None,
    }
    kind, leaf = recorded.leaves[-1]
    assert kind == "referral.status"
    assert leaf["actor"] == "NL-MELDPUNT"
    assert leaf["subject"] == answer.json()
    assert leaf["status"] == "removed"
    assert (leaf["case"], leaf["referral"], leaf["to"]) == (case, referral, "NL-MELDPUNT")
    assert hotlines.case(case)["status"] == "removed"


def test_occurred_at_in_the_future_is_refused(hotlines: Exchange) -> None:
    _, referral = hotlines.referral()
    hotlines.deliver(referral)

    answer = hotlines.post(referral, "accepted", "2999-01-01T00:00:00Z")

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "occurred_at"]


def test_country_only_goes_with_rerouted(hotlines: Exchange) -> None:
    _, referral = hotlines.referral()
    hotlines.walk(referral, ["delivered", "accepted"])

    assert hotlines.post(referral, "rerouted").status_code == 422
    assert hotlines.post(referral, "content_gone", country="DE").status_code == 422


def test_an_acked_referral_is_delivered_and_may_then_be_accepted(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()
    assert hotlines.post(referral, "accepted").json()["allowed"] == []
    events = hotlines.nl.get("/v1/events").json()["items"]
    [created] = [e for e in events if e["type"] == "referral.created"]
    assert created["data"]["id"] == referral

    assert hotlines.nl.post("/v1/events/ack", json={"ids": [created["id"]]}).status_code == 200

    assert hotlines.nl.get(f"/v1/referrals/{referral}").json()["status"] == "delivered"
    assert hotlines.post(referral, "accepted").status_code == 200
    told = [e["data"] for e in hotlines.iwf.get("/v1/events").json()["items"]]
    assert [(d["case"], d["status"]) for d in told] == [(case, "delivered"), (case, "accepted")]
