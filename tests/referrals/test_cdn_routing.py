"""Protocol 1.1 routing: cases behind a CDN go to the CDN's hotline (reason `cdn`), an
`origin_ip` routes by the origin, and countries without a member hotline by fallback."""

from pathlib import Path

import pytest

from hub.settings import Settings
from tests.conftest import Hub, ServerThread, report
from tests.referrals.exchange import Exchange
from tests.support.mmdb import write_asn_mmdb

CDN_URL = "https://cdn.example.com/a.jpg"


def test_a_cloudflare_fronted_case_goes_to_the_hotline_of_cloudflares_home_country(
    hotlines: Exchange,
) -> None:
    us = hotlines.api.register("US-CYBERTIP", ["US"])

    body = hotlines.submit(url=CDN_URL)
    referral = us.get(f"/v1/referrals/{body['routing']['referral']}").json()

    assert body["routing"]["reason"] == "cdn"
    assert body["routing"]["to"] == "US-CYBERTIP"
    assert body["hosting"] == {
        "ip": "104.16.1.1",
        "country": None,  # the edge's country says nothing of the origin's
        "source": "resolved",
        "cdn": "cloudflare",
        "network": None,  # no ASN database configured
    }
    assert referral["hosting"]["cdn"] == "cloudflare"


def test_the_cdn_hotline_reroutes_the_case_to_the_origins_country(hotlines: Exchange) -> None:
    us = hotlines.api.register("US-CYBERTIP", ["US"])
    body = hotlines.submit(url=CDN_URL)
    referral = body["routing"]["referral"]
    hotlines.deliver(referral)
    assert hotlines.post(referral, "accepted", client=us).status_code == 200

    rerouted = hotlines.post(referral, "rerouted", country="NL", client=us)
    case = hotlines.case(body["case"]["id"])

    assert rerouted.status_code == 200, rerouted.text
    assert case["hosting"]["country"] == "NL"
    assert case["routing_reason"] == "hosting_country"
    assert hotlines.nl.get(f"/v1/referrals/{case['referral']}").status_code == 200


def test_without_a_hotline_for_the_cdn_the_case_waits_in_the_unassigned_queue(
    hotlines: Exchange,
) -> None:
    body = hotlines.submit(url=CDN_URL)
    queue = hotlines.api.admin.get("/v1/cases").json()["items"]

    assert body["routing"] == {"to": None, "referral": None, "reason": "cdn"}
    assert [c["routing_reason"] for c in queue if c["id"] == body["case"]["id"]] == ["cdn"]


def test_the_admin_sets_lists_and_deletes_the_hotline_for_a_cdn(hotlines: Exchange) -> None:
    admin = hotlines.api.admin
    hotlines.api.register("US-CYBERTIP", ["US"])

    put = admin.put("/v1/routes/cdn/cloudflare", json={"hotline": "DE-ECO"})
    routed = hotlines.submit(url=CDN_URL)
    listed = admin.get("/v1/routes/cdn").json()["items"]
    deleted = admin.delete("/v1/routes/cdn/cloudflare")
    after = hotlines.submit(url="https://cdn.example.com/b.jpg")

    assert put.status_code == 200
    assert put.json() == {
        "provider": "cloudflare",
        "name": "Cloudflare",
        "country": "US",
        "hotline": "DE-ECO",
    }
    assert routed["routing"]["to"] == "DE-ECO"
    assert listed == [put.json()]
    assert deleted.status_code == 204
    assert admin.delete("/v1/routes/cdn/cloudflare").status_code == 404
    assert after["routing"]["to"] == "US-CYBERTIP"


def test_cdn_routes_are_the_admins_alone_and_name_known_providers(hotlines: Exchange) -> None:
    unknown = hotlines.api.admin.put("/v1/routes/cdn/nosuchcdn", json={"hotline": "DE-ECO"})
    by_hotline = hotlines.iwf.put("/v1/routes/cdn/cloudflare", json={"hotline": "GB-IWF"})
    no_hotline = hotlines.api.admin.put("/v1/routes/cdn/fastly", json={"hotline": "XX-NONE"})

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["path", "provider"]
    assert by_hotline.status_code == 403
    assert no_hotline.status_code == 422


def test_an_origin_ip_routes_a_cdn_fronted_case_by_the_origin(hotlines: Exchange) -> None:
    body = hotlines.submit(url=CDN_URL, origin_ip="203.0.113.9")

    assert body["routing"]["reason"] == "hosting_country"
    assert body["routing"]["to"] == "NL-MELDPUNT"
    assert body["hosting"] == {
        "ip": "203.0.113.9",
        "country": "NL",
        "source": "origin",
        "cdn": "cloudflare",
        "network": None,
    }


@pytest.mark.parametrize(
    ("origin_ip", "why"),
    [
        ("10.0.0.7", "public unicast"),
        ("127.0.0.1", "public unicast"),
        ("104.16.1.2", "Cloudflare"),
        ("2606:4700::1", "Cloudflare"),
        ("not-an-ip", "IPv4 or IPv6"),
    ],
)
def test_an_origin_ip_that_is_private_or_a_cdn_address_is_refused(
    api: Hub, origin_ip: str, why: str
) -> None:
    iwf = api.register("GB-IWF", ["GB"])

    answer = iwf.post("/v1/reports", json=report(url=CDN_URL, origin_ip=origin_ip))

    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["loc"] == ["body", "origin_ip"]
    assert why in error["msg"]


def test_a_fallback_takes_cases_until_a_member_hotline_joins(hotlines: Exchange) -> None:
    admin = hotlines.api.admin
    # The test GeoIP database puts 203.0.113.128/25 in GB; NL-MELDPUNT reports there.
    refused = admin.put("/v1/routes/GB", json={"hotline": "DE-ECO"})  # GB has a member
    admin.patch("/v1/hotlines/GB-IWF", json={"countries": ["IE"]})
    put = admin.put("/v1/routes/GB", json={"hotline": "DE-ECO"})
    listed = admin.get("/v1/routes").json()["items"]

    fallback = hotlines.submit(client=hotlines.nl, hosting_ip="203.0.113.200")
    admin.patch("/v1/hotlines/GB-IWF", json={"countries": ["GB"]})
    member = hotlines.submit(client=hotlines.nl, hosting_ip="203.0.113.201")
    deleted = admin.delete("/v1/routes/GB")

    assert refused.status_code == 422
    assert put.json() == {"country": "GB", "hotline": "DE-ECO", "kind": "fallback"}
    assert listed == [put.json()]
    assert fallback["routing"]["reason"] == "fallback"
    assert fallback["routing"]["to"] == "DE-ECO"
    assert hotlines.de.get(f"/v1/referrals/{fallback['routing']['referral']}").status_code == 200
    assert member["routing"] == {**member["routing"], "reason": "hosting_country", "to": "GB-IWF"}
    assert deleted.status_code == 204
    assert admin.delete("/v1/routes/GB").status_code == 404


@pytest.fixture
def asn_settings(settings_for, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    asn = write_asn_mmdb(
        tmp_path / "asn.mmdb",
        {"104.16.0.0/13": (13335, "CLOUDFLARENET"), "203.0.113.0/25": (64500, "EXAMPLE-NL")},
    )
    return settings_for(asn_db=asn)


def test_with_an_asn_database_reports_and_referrals_name_the_hosting_network(
    asn_settings: Settings,
) -> None:
    with ServerThread(asn_settings) as server:
        api = Hub(server.url)
        exchange = Exchange(api, server, api.register("NL-MELDPUNT", ["NL"]))
        body = exchange.submit()
        behind = exchange.submit(url=CDN_URL)
        referral = exchange.nl.get(f"/v1/referrals/{body['routing']['referral']}").json()
        api.close()

    assert body["hosting"]["network"] == {"asn": 64500, "name": "EXAMPLE-NL"}
    assert referral["hosting"]["network"] == {"asn": 64500, "name": "EXAMPLE-NL"}
    assert behind["hosting"]["network"] == {"asn": 13335, "name": "CLOUDFLARENET"}
    assert behind["hosting"]["cdn"] == "cloudflare"
