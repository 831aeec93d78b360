"""Issue 9: report validation fuzzed (hypothesis) against one running hub. A valid report
with fields replaced, dropped or added, or any JSON at all, is answered 201, 200, 409 or
422 (as one batch item too), never 5xx; a 422 names the field (`loc` from `body`)."""

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN_TOKEN, ServerThread, report

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Values that pass one rule and break the next: near-valid hashes, times, addresses.
TRICKY = st.sampled_from(
    [
        "",
        "9f" * 32,
        "9F" * 32,
        "g" * 64,
        "0" * 63,
        "2026-11-24T09:30:00Z",
        "2026-11-24T09:30:00+00:00",
        "2999-01-01T00:00:00Z",
        "1995-12-31T23:59:59Z",
        "203.0.113.7",
        "10.0.0.1",
        "2001:67c:2e8::1%eth0",
        "::ffff:203.0.113.7",
        "https://files.example.net/a",
        "https://localhost/",
        "image",
        "video",
        "national",
        "infant",
        "female",
        "forum",
        "sha1",
        "md5",
        "pdq",
        "photodna",
        "A" * 192,
        "\x00",
        "\ud800",
    ]
)
VALUE = st.one_of(JSON, TRICKY)
PATHS = st.sampled_from(
    [
        ("reference",),
        ("url",),
        ("content",),
        ("content", "kind"),
        ("content", "hashes"),
        ("content", "hashes", 0),
        ("content", "hashes", 0, "alg"),
        ("content", "hashes", 0, "value"),
        ("content", "hashes", 0, "quality"),
        ("assessment",),
        ("assessment", "classification"),
        ("assessment", "age_group"),
        ("assessment", "gender"),
        ("assessment", "virtual"),
        ("site_type",),
        ("observed_at",),
        ("hosting_ip",),
        ("origin_ip",),
        ("unknown_field",),
    ]
)
EDITS = st.lists(st.tuples(PATHS, st.one_of(st.just("drop"), VALUE)), max_size=3)
PDQ = {"alg": "pdq", "value": "f8" * 32, "quality": 92}


def _apply(body: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Sets (or, for "drop", removes) the field at `path`, where the body still has one."""
    *parents, last = path
    for part in parents:
        if (isinstance(body, dict) and isinstance(part, str) and part in body) or (
            isinstance(body, list) and isinstance(part, int) and part < len(body)
        ):
            body = body[part]
        else:
            return
    if isinstance(body, dict) and isinstance(last, str):
        if value == "drop":
            body.pop(last, None)
        else:
            body[last] = value
    elif isinstance(body, list) and isinstance(last, int) and last < len(body):
        body[last] = value


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)  # anything at all
    body = report(
        f"F-{draw(st.integers(0, 30))}", url=f"https://files.example.net/{draw(st.integers(0, 30))}"
    )
    body["content"]["hashes"].append(dict(PDQ))
    for path, value in draw(EDITS):
        _apply(body, path, value)
    return body


def _check(status: int, problem: Any) -> None:
    event(f"answered {status}")  # --hypothesis-show-statistics shows the mix
    assert status in (200, 201, 409, 422), problem
    if status == 422:
        assert problem["errors"], problem
        for error in problem["errors"]:
            assert error["loc"] and error["loc"][0] == "body" and error["msg"], problem


def _post(client: httpx.Client, path: str, body: Any) -> httpx.Response:
    # ASCII-escaped JSON, so lone surrogates ("\ud800") reach the hub as JSON escapes.
    content = json.dumps(body).encode()
    return client.post(path, content=content, headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def reporter(module_hub: ServerThread) -> Iterator[httpx.Client]:
    admin = httpx.Client(
        base_url=module_hub.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    registered = admin.post(
        "/v1/hotlines", json={"id": "GB-FUZZ", "name": "F", "countries": ["GB"]}
    )
    assert registered.status_code == 201, registered.text
    token = admin.post("/v1/tokens", json={"principal": "hotline", "subject": "GB-FUZZ"}).json()
    admin.close()
    with httpx.Client(
        base_url=module_hub.url, headers={"Authorization": f"Bearer {token['token']}"}, timeout=30
    ) as client:
        yield client


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_any_report_body_is_answered_201_200_409_or_422_naming_the_field(
    reporter: httpx.Client, body: Any
) -> None:
    answer = _post(reporter, "/v1/reports", body)
    _check(answer.status_code, answer.json())


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(bodies(), min_size=1, max_size=6))
def test_any_batch_item_is_answered_on_its_own(reporter: httpx.Client, items: list[Any]) -> None:
    answer = _post(reporter, "/v1/reports:batch", {"reports": items})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert len(results) == len(items)
    for result in results:
        _check(result["status"], result)
        if result["status"] == 422:  # an item's fields are named from the batch down
            assert all(e["loc"][:2] == ["body", "reports"] for e in result["errors"]), result


def test_the_fuzzer_reaches_every_answer(reporter: httpx.Client) -> None:
    """The strategies above are not vacuous: a plain report is taken, a clash is 409."""
    body = report(f"F-plain-{secrets.token_hex(4)}")
    assert reporter.post("/v1/reports", json=body).status_code == 201
    assert reporter.post("/v1/reports", json=body).status_code == 200
    body["observed_at"] = "2026-11-24T09:31:00Z"
    assert reporter.post("/v1/reports", json=body).status_code == 409
