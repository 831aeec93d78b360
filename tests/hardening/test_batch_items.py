"""Issue 9.5: one non-object item in a batch rejects only that item, and a batch of bad
items gets an answer of bounded size."""

import httpx
import pytest

from tests.conftest import Hub, report


@pytest.fixture
def iwf(api: Hub) -> httpx.Client:
    api.register("NL-MELDPUNT", ["NL"])
    return api.register("GB-IWF", ["GB"])


def test_a_non_object_item_rejects_only_itself(iwf: httpx.Client) -> None:
    answer = iwf.post(
        "/v1/reports:batch", json={"reports": [report("B1"), "x", 7, None, [], report("B2")]}
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 422, 422, 422, 201]
    assert results[1]["errors"][0]["loc"] == ["body", "reports", 1]


def test_a_batch_of_bad_items_gets_a_bounded_answer(iwf: httpx.Client) -> None:
    bad = {f"{'k' * 200}{n}": n for n in range(40)}
    items = [dict(bad) for _ in range(900)]
    answer = iwf.post("/v1/reports:batch", json={"reports": items}, timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    sent = len(httpx.Request("POST", "/", json={"reports": items}).content)
    assert len(answer.content) < sent / 4, (len(answer.content), sent)
    first = answer.json()["results"][0]
    assert len(first["errors"]) == 5 and "the first 5" in first["detail"]
    assert all(len(str(part)) <= 65 for part in first["errors"][0]["loc"])
