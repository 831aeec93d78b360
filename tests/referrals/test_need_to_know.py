"""Issue 9.6: need to know on GET /v1/cases/{id}: a reporter sees its own report and the
case's status, not which other hotlines reported the same URL; the admin sees them all."""

from tests.conftest import Hub, report


def test_a_reporter_does_not_see_the_other_reporters_of_its_case(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])
    eco = api.register("DE-ECO", ["DE"])
    url = "https://files.example.net/shared.jpg"
    first = iwf.post("/v1/reports", json=report("N1", url=url)).json()
    eco.post("/v1/reports", json=report("N2", url=url)).raise_for_status()
    case = first["case"]["id"]

    seen_by_iwf = iwf.get(f"/v1/cases/{case}")
    seen_by_eco = eco.get(f"/v1/cases/{case}")

    assert seen_by_iwf.status_code == seen_by_eco.status_code == 200
    assert seen_by_iwf.json()["reporters"] == ["GB-IWF"]
    assert seen_by_eco.json()["reporters"] == ["DE-ECO"]
    assert "DE-ECO" not in seen_by_iwf.text and "GB-IWF" not in seen_by_eco.text
    assert seen_by_iwf.json()["status"] == "pending"
    assert sorted(api.admin.get(f"/v1/cases/{case}").json()["reporters"]) == ["DE-ECO", "GB-IWF"]
