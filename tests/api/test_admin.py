"""Administration (PROTOCOL.md section 2.1): hotlines, routes, the unassigned queue, stats."""

import base64

from tests.conftest import Hub, report

KEY = base64.b64encode(bytes(range(32))).decode()


def test_register_read_change_and_list_hotlines(api: Hub) -> None:
    created = api.admin.post(
        "/v1/hotlines",
        json={
            "id": "NL-MELDPUNT",
            "name": "Meldpunt",
            "countries": ["NL", "AW"],
            "public_keys": [KEY],
        },
    )

    assert created.status_code == 201
    assert created.headers["location"] == "/v1/hotlines/NL-MELDPUNT"
    assert created.json()["countries"] == ["AW", "NL"]
    changed = api.admin.patch(
        "/v1/hotlines/NL-MELDPUNT", json={"name": "Meldpunt Kinderporno", "countries": ["NL"]}
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Meldpunt Kinderporno" and changed.json()["countries"] == [
        "NL"
    ]
    assert api.admin.get("/v1/hotlines/NL-MELDPUNT").json() == changed.json()
    assert [h["id"] for h in api.admin.get("/v1/hotlines").json()["items"]] == ["NL-MELDPUNT"]
    assert api.admin.get("/v1/hotlines/XX-NONE").status_code == 404


def test_bad_hotlines_are_problems_naming_the_field(api: Hub) -> None:
    cases = [
        ({"id": "meldpunt", "name": "x", "countries": ["NL"]}, ["body", "id"]),
        ({"id": "NL-MP", "name": "x", "countries": ["nl"]}, ["body", "countries", 0]),
        ({"id": "NL-MP", "name": "x", "countries": []}, ["body", "countries"]),
        (
            {"id": "NL-MP", "name": "x", "countries": ["NL"], "public_keys": ["abc"]},
            ["body", "public_keys", 0],
        ),
        (
            {"id": "NL-MP", "name": "x", "countries": ["NL"], "webhook_url": "ftp://x.example/"},
            ["body", "webhook_url"],
        ),
        ({"id": "NL-MP", "name": "x", "countries": ["NL"], "extra": 1}, ["body", "extra"]),
    ]
    for body, loc in cases:
        answer = api.admin.post("/v1/hotlines", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert loc in [e["loc"] for e in answer.json()["errors"]], answer.json()
    assert api.admin.get("/v1/hotlines").json()["items"] == []


def test_registering_a_hotline_twice_is_409(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])

    answer = api.admin.post(
        "/v1/hotlines", json={"id": "NL-MELDPUNT", "name": "x", "countries": ["NL"]}
    )

    assert answer.status_code == 409


def test_the_admin_picks_the_primary_hotline_of_a_shared_country(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("NL-SECOND", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])

    before = iwf.post("/v1/reports", json=report("A", url="https://files.example.net/1")).json()
    route = api.admin.put("/v1/routes/NL", json={"hotline": "NL-SECOND"})
    after = iwf.post("/v1/reports", json=report("B", url="https://files.example.net/2")).json()

    assert before["routing"]["to"] == "NL-MELDPUNT"  # the first registered, until the admin picks
    assert route.json() == {"country": "NL", "hotline": "NL-SECOND", "kind": "primary"}
    assert after["routing"]["to"] == "NL-SECOND"
    assert api.admin.get("/v1/routes").json()["items"] == [
        {"country": "NL", "hotline": "NL-SECOND", "kind": "primary"}
    ]
    assert api.admin.put("/v1/routes/NL", json={"hotline": "GB-IWF"}).status_code == 422


def test_cases_skip_an_inactive_primary_and_wait_when_no_member_is_active(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("NL-SECOND", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])
    api.admin.put("/v1/routes/NL", json={"hotline": "NL-SECOND"})

    api.admin.patch("/v1/hotlines/NL-SECOND", json={"active": False})
    skipped = iwf.post("/v1/reports", json=report("A", url="https://files.example.net/1")).json()
    api.admin.patch("/v1/hotlines/NL-MELDPUNT", json={"active": False})
    waiting = iwf.post("/v1/reports", json=report("B", url="https://files.example.net/2")).json()

    assert skipped["routing"]["to"] == "NL-MELDPUNT"
    assert waiting["routing"] == {"to": None, "referral": None, "reason": "no_member_hotline"}


def test_unassigned_cases_wait_for_the_admin_who_routes_them_by_hand(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    unresolvable = iwf.post(
        "/v1/reports", json=report("A", url="https://nowhere.example.org/a")
    ).json()
    no_member = iwf.post("/v1/reports", json=report("B", url="https://images.example.de/b")).json()
    api.register("DE-ECO", ["DE"])

    queue = api.admin.get("/v1/cases", params={"routing": "unassigned"}).json()["items"]
    assert {c["id"] for c in queue} == {unresolvable["case"]["id"], no_member["case"]["id"]}
    routed = api.admin.post(
        f"/v1/cases/{no_member['case']['id']}/route", json={"hotline": "DE-ECO"}
    )

    assert routed.status_code == 200
    assert routed.json()["referral"].startswith("ref_")
    eco = api.client(api.token("hotline", "DE-ECO"))
    assert [r["case"] for r in eco.get("/v1/referrals").json()["items"]] == [
        no_member["case"]["id"]
    ]
    assert [c["id"] for c in api.admin.get("/v1/cases").json()["items"]] == [
        unresolvable["case"]["id"]
    ]
    again = api.admin.post(f"/v1/cases/{no_member['case']['id']}/route", json={"hotline": "DE-ECO"})
    assert again.status_code == 409
    assert api.admin.post("/v1/cases/cas_nope/route", json={"hotline": "DE-ECO"}).status_code == 404


def test_stats_count_cases_by_country_and_status(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])
    iwf.post("/v1/reports", json=report("A", url="https://files.example.net/1"))
    iwf.post("/v1/reports", json=report("B", url="https://files.example.net/2"))
    iwf.post("/v1/reports", json=report("C", url="https://nowhere.example.org/3"))

    stats = api.admin.get("/v1/stats").json()

    assert stats["cases"]["total"] == 3
    assert stats["cases"]["unassigned"] == 1
    assert stats["by_country"]["NL"]["pending"] == 2


def test_openapi_describes_every_protocol_endpoint(api: Hub) -> None:
    paths = api.client().get("/openapi.json").json()["paths"]

    for path in (
        "/v1/reports",
        "/v1/reports:batch",
        "/v1/reports/{report_id}",
        "/v1/hotlines",
        "/v1/tokens",
        "/v1/routes/{country}",
        "/v1/cases",
        "/healthz",
    ):
        assert path in paths, path
    assert "ReportIn" in str(paths["/v1/reports"]["post"]["requestBody"])


def test_openapi_errors_are_problems_and_routes_need_a_bearer_token(api: Hub) -> None:
    document = api.client().get("/openapi.json").json()
    post = document["paths"]["/v1/reports"]["post"]

    assert post["security"] == [{"bearer": []}]
    assert post["responses"]["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "HTTPValidationError" not in str(document)
    assert "security" not in document["paths"]["/healthz"]["get"]
