"""`GET /v1/stats`: counts by status, and time to referral and to removal as nearest-rank
p50/p90 by hosting country and hotline, computed from timestamps the test chooses."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from hub import clock
from hub.stats.service import percentile, summary
from tests.referrals.exchange import Exchange


@pytest.fixture
def past_clock() -> Iterator[None]:
    """The hub's clock two hours back while cases are opened, so later times are not future."""
    clock.offset = -timedelta(hours=2)
    try:
        yield
    finally:
        clock.offset = timedelta(0)


def _at(start: str, seconds: int) -> str:
    moment = datetime.fromisoformat(start) + timedelta(seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


def test_nearest_rank_percentiles() -> None:
    assert percentile([10.0, 20.0, 30.0, 40.0, 100.0], 50) == 30.0
    assert percentile([10.0, 20.0, 30.0, 40.0, 100.0], 90) == 100.0
    assert percentile([7.0], 90) == 7.0
    assert summary([]) == {"count": 0, "p50": None, "p90": None}
    assert summary([3.0, 1.0, 2.0]) == {"count": 3, "p50": 2.0, "p90": 3.0}


def test_stats_need_an_admin(hotlines: Exchange) -> None:
    assert hotlines.nl.get("/v1/stats").status_code == 403


def test_stats_give_time_to_referral_and_removal_by_country_and_hotline(
    hotlines: Exchange, past_clock: None
) -> None:
    opened: list[tuple[str, str | None, str]] = []  # (case, referral, country)
    for _ in range(3):
        case, referral = hotlines.referral()
        opened.append((case, referral, "NL"))
    for _ in range(2):
        body = hotlines.submit(url=f"https://images.example.de/{len(opened)}.jpg")
        opened.append((body["case"]["id"], body["routing"]["referral"], "DE"))
    domestic = hotlines.submit(hosting_ip="203.0.113.200")["case"]["id"]
    clock.offset = timedelta(0)
    created = {case: hotlines.case(case)["created_at"] for case, _, _ in opened}
    created[domestic] = hotlines.case(domestic)["created_at"]

    delivered_after = [10, 20, 30, 40, 100]
    removed_after: list[int | None] = [600, 1200, 1800, 3000, None]
    for (case, referral, country), delivery, removal in zip(
        opened, delivered_after, removed_after, strict=True
    ):
        assert referral is not None
        client = hotlines.nl if country == "NL" else hotlines.de
        hotlines.deliver(referral, _at(created[case], delivery))
        if removal is None:
            continue
        for status, after in (("accepted", delivery + 1), ("notice_sent", delivery + 2)):
            answer = hotlines.post(referral, status, _at(created[case], after), client=client)
            assert answer.status_code == 200, answer.text
        answer = hotlines.post(referral, "removed", _at(created[case], removal), client=client)
        assert answer.status_code == 200, answer.text
    for status, after in (("accepted", 5), ("notice_sent", 6), ("removed", 50)):
        answer = hotlines.iwf.post(
            f"/v1/cases/{domestic}/status",
            json={"status": status, "occurred_at": _at(created[domestic], after)},
        )
        assert answer.status_code == 200, answer.text

    stats = hotlines.api.admin.get("/v1/stats")

    assert stats.status_code == 200, stats.text
    body: dict[str, Any] = stats.json()

    def p(count: int, p50: float, p90: float) -> dict[str, Any]:
        return {"count": count, "p50": p50, "p90": p90}

    assert body["time_to_referral"] == {
        "all": p(5, 30.0, 100.0),
        "by_country": {"DE": p(2, 40.0, 100.0), "NL": p(3, 20.0, 30.0)},
        "by_hotline": {"DE-ECO": p(2, 40.0, 100.0), "NL-MELDPUNT": p(3, 20.0, 30.0)},
    }
    assert body["time_to_removal"] == {
        "all": p(5, 1200.0, 3000.0),
        "by_country": {
            "DE": p(1, 3000.0, 3000.0),
            "GB": p(1, 50.0, 50.0),
            "NL": p(3, 1200.0, 1800.0),
        },
        "by_hotline": {
            "DE-ECO": p(1, 3000.0, 3000.0),
            "GB-IWF": p(1, 50.0, 50.0),
            "NL-MELDPUNT": p(3, 1200.0, 1800.0),
        },
    }
    assert body["cases"] == {
        "total": 6,
        "by_status": {"removed": 5, "delivered": 1},
        "unassigned": 0,
    }
    assert body["referrals"] == {"total": 5, "by_status": {"removed": 4, "delivered": 1}}
    assert body["by_country"] == {
        "NL": {"removed": 3},
        "DE": {"removed": 1, "delivered": 1},
        "GB": {"removed": 1},
    }
    assert body["referrals_by_hotline"] == {
        "NL-MELDPUNT": {"removed": 3},
        "DE-ECO": {"removed": 1, "delivered": 1},
    }
    assert body["reports_by_hotline"] == {"GB-IWF": 6}


def test_stats_of_an_empty_hub(hotlines: Exchange) -> None:
    body = hotlines.api.admin.get("/v1/stats").json()

    empty = {"all": {"count": 0, "p50": None, "p90": None}, "by_country": {}, "by_hotline": {}}
    assert body["time_to_referral"] == empty
    assert body["time_to_removal"] == empty
    assert body["cases"]["total"] == 0
