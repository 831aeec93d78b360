"""Protocol 1.1 statistics: time to removal by hosting network, the slowest networks, time
to law enforcement, notices before removal and cases by what the hotlines recorded."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hub import clock
from hub.settings import Settings
from tests.conftest import Hub, ServerThread
from tests.referrals.exchange import Exchange
from tests.support.mmdb import write_asn_mmdb


@pytest.fixture
def networked(settings_for: Callable[..., Settings], tmp_path: Path) -> Iterator[Exchange]:
    asn = write_asn_mmdb(
        tmp_path / "asn.mmdb",
        {"203.0.113.0/28": (64500, "FAST-NL"), "203.0.113.16/28": (64501, "SLOW-NL")},
    )
    clock.offset = -timedelta(days=5)  # cases open in the past, so later times are plausible
    try:
        with ServerThread(settings_for(asn_db=asn)) as server:
            api = Hub(server.url)
            yield Exchange(api, server, api.register("NL-MELDPUNT", ["NL"]))
            api.close()
    finally:
        clock.offset = timedelta(0)


def _at(start: str, seconds: int) -> str:
    moment = datetime.fromisoformat(start) + timedelta(seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


def _removed(hotlines: Exchange, ip: str, seconds: int, notices: int, **fields: object) -> None:
    body = hotlines.submit(hosting_ip=ip, **fields)
    start, referral = body["received_at"], body["routing"]["referral"]
    hotlines.deliver(referral, _at(start, 1))
    assert hotlines.post(referral, "accepted", _at(start, 2)).status_code == 200
    for n in range(notices):
        action = {"action": "host_notified", "occurred_at": _at(start, 10 + n)}
        assert hotlines.nl.post(f"/v1/referrals/{referral}/actions", json=action).status_code == 201
    assert hotlines.post(referral, "notice_sent", _at(start, 20)).status_code == 200
    assert hotlines.post(referral, "removed", _at(start, seconds)).status_code == 200


def test_stats_show_hosting_networks_and_time_to_law_enforcement(networked: Exchange) -> None:
    _removed(networked, "203.0.113.1", 600, notices=2)
    _removed(networked, "203.0.113.17", 3000, notices=0)
    _removed(networked, "203.0.113.18", 5000, notices=1)
    late = networked.submit(hosting_ip="203.0.113.2")
    soon = networked.submit(hosting_ip="203.0.113.3")
    for body, seconds in ((late, 4 * 86400), (soon, 3600)):
        at = _at(body["received_at"], seconds)
        action = {"action": "law_enforcement_notified", "occurred_at": at}
        referral = body["routing"]["referral"]
        assert (
            networked.nl.post(f"/v1/referrals/{referral}/actions", json=action).status_code == 201
        )

    stats = networked.api.admin.get("/v1/stats").json()

    by_network = stats["removal_by_network"]["time_to_removal"]
    assert by_network["64500"] == {
        "asn": 64500,
        "name": "FAST-NL",
        "count": 1,
        "p50": 600.0,
        "p90": 600.0,
    }
    assert by_network["64501"]["count"] == 2
    assert by_network["64501"]["p90"] == 5000.0
    assert [n["name"] for n in stats["removal_by_network"]["slowest"]] == ["SLOW-NL", "FAST-NL"]
    notices = stats["notices_before_removal"]
    # host_notified actions plus the notice_sent status: 3, 1 and 2 per removed case
    assert (notices["count"], notices["p50"], notices["p90"], notices["mean"]) == (3, 2.0, 3.0, 2.0)
    assert stats["time_to_law_enforcement"]["count"] == 2
    assert stats["time_to_law_enforcement"]["within_3_days"] == 1
    assert stats["time_to_law_enforcement"]["share_within_3_days"] == 0.5


def test_stats_count_cases_by_what_hotlines_recorded(hotlines: Exchange) -> None:
    base = {"classification": "baseline", "age_group": "infant"}
    hotlines.submit(assessment={**base, "gender": "male", "virtual": True}, site_type="forum")
    hotlines.submit(assessment={**base, "gender": "male"}, site_type="forum")
    hotlines.submit(assessment={**base, "age_group": "pubescent", "virtual": False})

    records = hotlines.api.admin.get("/v1/stats").json()["by_assessment"]

    assert records["cases_by_age_group"] == {"infant": 2, "pubescent": 1}
    assert records["cases_by_gender"] == {"male": 2, "unrecorded": 1}
    assert records["cases_by_virtual"] == {"false": 1, "true": 1, "unrecorded": 1}
    assert records["reports_by_site_type"] == {"forum": 2, "image_host": 1}
    assert records["reports_by_content"] == {"new": 3, "known": 0}
