"""Issue 9.4: strict types at the edge: RFC 3339 UTC timestamps with `Z` only, integers
that are JSON integers, and duplicate JSON keys refused with 422 naming the field."""

import json

import httpx
import pytest

from tests.conftest import Hub, report

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@pytest.fixture
def iwf(api: Hub) -> httpx.Client:
    api.register("NL-MELDPUNT", ["NL"])
    return api.register("GB-IWF", ["GB"])


@pytest.mark.parametrize(
    "observed_at",
    [
        1795944600,
        "2026-11-24 09:30:00Z",
        "2026-11-24T09:30:00z",
        "2026-11-24T09:30Z",
        "2026-11-24T11:30:00+02:00",
        "2026-11-24T09:30:00+00:00",
        "2026-11-24",
    ],
)
def test_observed_at_must_be_rfc3339_utc_with_z(iwf: httpx.Client, observed_at: object) -> None:
    answer = iwf.post("/v1/reports", json=report("T1", observed_at=observed_at))
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "observed_at"]]


def test_a_fraction_of_a_second_is_fine(iwf: httpx.Client) -> None:
    answer = iwf.post("/v1/reports", json=report("T2", observed_at="2026-11-24T09:30:00.25Z"))
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("quality", ["92", True, 92.0])
def test_pdq_quality_must_be_a_json_integer(iwf: httpx.Client, quality: object) -> None:
    content = {"kind": "image", "hashes": [{"alg": "pdq", "value": PDQ, "quality": quality}]}
    answer = iwf.post("/v1/reports", json=report("Q1", content=content))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"][:5] == ["body", "content", "hashes", 0, "pdq"]


def test_a_duplicate_key_is_refused_naming_it(iwf: httpx.Client) -> None:
    body = json.dumps(report("D1"))
    raw = body[:-1] + ', "url": "https://files.example.net/other"}'
    answer = iwf.post("/v1/reports", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [
        {"loc": ["body", "url"], "msg": "appears more than once in this object"}
    ]


def test_a_duplicate_key_deep_in_a_batch_is_named_with_its_path(iwf: httpx.Client) -> None:
    item = json.dumps(report("D2"))
    raw = '{"reports": [' + item + ", " + item.replace('"kind"', '"kind": "video", "kind"') + "]}"
    answer = iwf.post(
        "/v1/reports:batch", content=raw, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", "reports", 1, "content", "kind"]


def test_a_nul_in_a_query_is_422_naming_it_and_in_a_path_id_404(iwf: httpx.Client) -> None:
    # On PostgreSQL a NUL reached the database as a cursor or an id: a 500.
    answer = iwf.get("/v1/reports?after=rpt_%00")
    assert answer.status_code == 422, answer.text
    assert ["query", "after"] in [e["loc"] for e in answer.json()["errors"]]
    assert iwf.get("/v1/reports/rpt_%00x").status_code == 404
