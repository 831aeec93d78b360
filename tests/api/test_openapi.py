"""The OpenAPI document promises per operation only what it can answer: the errors of
its shape and rules, `Location` on 201, `Retry-After` on 429 and 503, and the pushed webhooks."""

from typing import Any

import pytest

from tests.conftest import Hub, report


@pytest.fixture
def document(api: Hub) -> dict[str, Any]:
    return api.client().get("/openapi.json").json()


def errors(document: dict[str, Any], method: str, path: str) -> set[str]:
    responses = document["paths"][path][method]["responses"]
    return {status for status in responses if status[0] in "45"}


def test_each_operation_lists_the_errors_it_can_answer(document: dict[str, Any]) -> None:
    # Every operation reads the database: an outage is a 503 anywhere.
    assert errors(document, "get", "/v1/stats") == {"401", "403", "429", "503"}
    assert errors(document, "get", "/v1/reports/{report_id}") == {
        "401", "403", "404", "422", "429", "503"
    }  # fmt: skip
    assert errors(document, "post", "/v1/reports") == {
        "400", "401", "403", "409", "413", "415", "422", "429", "503"
    }  # fmt: skip
    assert errors(document, "post", "/v1/events/ack") == {
        "400", "401", "403", "413", "415", "422", "429", "503"
    }  # fmt: skip
    # Any principal may read the checkpoint: no 403; public routes: no 401 or 429.
    assert errors(document, "get", "/v1/log/checkpoint") == {"401", "429", "503"}
    assert errors(document, "get", "/v1/keys") == {"503"}
    assert errors(document, "get", "/healthz") == {"503"}


def test_the_errors_listed_are_the_errors_answered(api: Hub, document: dict[str, Any]) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    assert iwf.get("/v1/stats").status_code == 403
    assert "403" in errors(document, "get", "/v1/stats")
    first = iwf.post("/v1/reports", json=report("R-1"))
    clash = iwf.post("/v1/reports", json=report("R-1", url="https://files.example.net/other"))
    assert clash.status_code == 409 and "409" in errors(document, "post", "/v1/reports")
    assert first.status_code == 201
    assert iwf.get("/v1/log/checkpoint").status_code == 200


def test_created_answers_name_their_location_and_429_and_503_their_retry_after(
    api: Hub, document: dict[str, Any]
) -> None:
    for path in ("/v1/reports", "/v1/hotlines"):
        created = document["paths"][path]["post"]["responses"]["201"]
        assert "Location" in created["headers"]
    for status in ("429", "503"):
        answers = document["paths"]["/v1/reports"]["post"]["responses"][status]
        assert "Retry-After" in answers["headers"]
    answer = api.register("GB-IWF", ["GB"]).post("/v1/reports", json=report("R-2"))
    assert answer.headers["Location"] == f"/v1/reports/{answer.json()['id']}"


def test_the_pushed_events_are_described_as_webhooks(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    webhooks = document["webhooks"]
    assert set(webhooks) == {"referral.created", "case.status_changed", "referral.rerouted"}
    push = webhooks["referral.created"]["post"]
    assert {p["name"] for p in push["parameters"]} == {
        "webhook-id", "webhook-timestamp", "webhook-signature"
    }  # fmt: skip
    body = push["requestBody"]["content"]["application/json"]["schema"]
    reference = body["properties"]["data"]["$ref"].rsplit("/", 1)[1]
    assert reference in document["components"]["schemas"]


def test_the_document_states_the_query_rules_the_hub_enforces(
    api: Hub, document: dict[str, Any]
) -> None:
    """So that a schema-driven client (or schemathesis) never sends what must be a 422."""

    def query(path: str) -> dict[str, Any]:
        return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}

    assert query("/v1/log/proof/consistency")["first"]["schema"]["minimum"] == 1
    assert query("/v1/log/proof/inclusion")["query"]["schema"]["required"] == ["tree_size"]
    entries = query("/v1/log/entries")["query"]
    assert entries["style"] == "form" and entries["explode"] is True
    without_start = {"required": ["start"], "not": {"required": ["digest"]}}
    assert without_start in entries["schema"]["oneOf"]
    cursor = query("/v1/hotlines")["after"]["schema"]["anyOf"][0]
    assert cursor["minLength"] == 1
    assert query("/v1/events")["after"]["schema"]["anyOf"][0]["pattern"] == "^[0-9]+$"
    # …and the wire is what it says: `?end=` alone and `?after=` empty are refused.
    admin = api.admin
    assert admin.get("/v1/log/entries", params={"end": 3}).status_code == 422
    assert admin.get("/v1/hotlines", params={"after": ""}).status_code == 422
    assert admin.get("/v1/log/entries", params={"start": 0}).status_code == 200
