"""Console actions over HTTP: each goes through the API's service and lands in the log,
bad input gets a message naming the field, and only the queue shows a reported URL."""

from tests.conftest import Hub, ServerThread, report
from tests.console.conftest import csrf_of, sign_in


def _leaves(api: Hub) -> list[dict]:
    return [item["event"] for item in api.admin.get("/v1/log/entries?start=0").json()["items"]]


def test_hotline_and_route_changes_from_the_console_land_in_the_exchange_log(
    api: Hub, hub: ServerThread
) -> None:
    console = sign_in(hub.url)
    csrf = csrf_of(console.get("/console/hotlines").text)
    for hotline_id in ("BE-CHILDFOCUS", "BE-OTHER"):
        added = console.post(
            "/console/hotlines",
            data={"csrf": csrf, "id": hotline_id, "name": hotline_id, "countries": "be lu"},
        )
        assert added.status_code == 303
    changed = console.post(
        "/console/hotlines/BE-OTHER",
        data={
            "csrf": csrf,
            "name": "Other",
            "countries": "BE",
            "webhook_url": "",
            "public_keys": "",
        },
    )
    assert changed.status_code == 303
    routed = console.post(
        "/console/routes", data={"csrf": csrf, "country": "be", "hotline": "BE-OTHER"}
    )
    assert routed.status_code == 303
    off = console.post("/console/hotlines/BE-OTHER/active", data={"csrf": csrf, "active": "false"})
    assert off.status_code == 303
    hotline = api.admin.get("/v1/hotlines/BE-OTHER").json()
    assert hotline["countries"] == ["BE"] and hotline["name"] == "Other" and not hotline["active"]
    kinds = [(leaf["type"], leaf["actor"]) for leaf in _leaves(api)]
    assert kinds == [
        ("hotline.registered", "bootstrap"),
        ("hotline.registered", "bootstrap"),
        ("hotline.changed", "bootstrap"),
        ("route.set", "bootstrap"),
        ("hotline.changed", "bootstrap"),
    ]
    assert "Other" in console.get("/console/hotlines").text
    console.close()


def test_bad_input_gets_a_message_naming_the_field_and_changes_nothing(
    api: Hub, hub: ServerThread
) -> None:
    console = sign_in(hub.url)
    csrf = csrf_of(console.get("/console/hotlines").text)
    answer = console.post(
        "/console/hotlines",
        data={"csrf": csrf, "id": "NL-MELDPUNT", "name": "M", "countries": "NLD"},
    )
    assert answer.status_code == 422
    assert "countries" in answer.text
    assert api.admin.get("/v1/hotlines/NL-MELDPUNT").status_code == 404
    wrong = console.post("/console/queue/cas_nothing/route", data={"csrf": csrf, "hotline": "X"})
    assert wrong.status_code == 422 and "no case" in wrong.text
    console.close()


def test_only_the_unassigned_queue_shows_a_reported_url(api: Hub, hub: ServerThread) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    api.register("NL-MELDPUNT", ["NL"])
    assert iwf.post("/v1/reports", json=report("R-1")).status_code == 201
    queued = iwf.post("/v1/reports", json=report("R-2", "https://unmapped.example.com/q.jpg"))
    assert queued.status_code == 201
    console = sign_in(hub.url)
    pages = ["", "/deliveries", "/hotlines", "/hotlines/NL-MELDPUNT", "/routes", "/stats", "/log"]
    for path in pages:
        text = console.get(f"/console{path}").text
        assert "example.net" not in text and "example.com" not in text, path
    assert "https://unmapped.example.com/q.jpg" in console.get("/console/queue").text
    console.close()
