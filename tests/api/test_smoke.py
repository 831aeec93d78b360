"""The shortest path through the hub: register two hotlines, report, get routed."""

from tests.conftest import Hub, report


def test_report_hosted_abroad_is_referred_to_the_hosting_hotline(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])

    answer = iwf.post("/v1/reports", json=report())

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["location"] == f"/v1/reports/{body['id']}"
    assert body["hosting"] == {
        "ip": "203.0.113.7",
        "country": "NL",
        "source": "resolved",
        "cdn": None,
        "network": None,
    }
    assert body["routing"]["to"] == "NL-MELDPUNT"
    assert body["routing"]["reason"] == "hosting_country"
    assert body["routing"]["referral"].startswith("ref_")
    assert body["case"]["opened"] is True
    assert body["case"]["status"] == "pending"


def test_healthz_needs_no_token(api: Hub) -> None:
    assert api.client().get("/healthz").json() == {"status": "ok"}
