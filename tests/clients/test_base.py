"""The I/O-free core: requests built from calls (prefix, auth, signatures, quoting) and
answers read into models or problems, without any server."""

import json
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clients import _base, errors
from clients._signatures import verify

KEY = Ed25519PrivateKey.generate()


def test_requests_keep_a_path_prefix_and_quote_ids() -> None:
    base = _base.BaseClient("https://proxy.example.org/hub/", "secret")
    request = base.build_request(_base.get_report("rpt_a/../b"))
    assert str(request.url) == "https://proxy.example.org/hub/v1/reports/rpt_a%2F..%2Fb"
    assert request.headers["authorization"] == "Bearer secret"
    listing = base.build_request(_base.list_reports(None))
    assert listing.url.query == b""


def test_keys_are_fetched_without_the_token() -> None:
    base = _base.BaseClient("https://hub.example.org", "secret")
    assert "authorization" not in base.build_request(_base.keys()).headers


def test_status_updates_are_signed_with_one_webhook_id_per_call() -> None:
    base = _base.BaseClient("https://hub.example.org", "t", signing_key=KEY)
    call = _base.set_referral_status("ref_1", "accepted", datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    first, second = base.build_request(call), base.build_request(call)
    assert json.loads(first.content) == {
        "referral": "ref_1",  # the signature binds the update to its referral
        "status": "accepted",
        "occurred_at": "2026-11-24T09:30:00Z",
    }
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verify(first.headers, first.content, KEY.public_key()) == first.headers["webhook-id"]
    unsigned = _base.BaseClient("https://hub.example.org", "t").build_request(call)
    assert "webhook-signature" not in unsigned.headers


def test_a_wrong_status_combination_fails_before_sending() -> None:
    with pytest.raises(ValueError, match="country is required"):
        _base.set_referral_status("ref_1", "rerouted", datetime.now(UTC))
    with pytest.raises(ValueError, match="1 to 1000"):
        _base.submit_batch([])


def test_problems_become_exceptions_even_without_a_problem_body() -> None:
    base = _base.BaseClient("https://hub.example.org")
    call = _base.get_report("rpt_1")
    problem = httpx.Response(
        409,
        json={
            "type": "urn:x",
            "title": "Conflict",
            "status": 409,
            "detail": "no",
            "allowed": ["a"],
        },
    )
    with pytest.raises(errors.Conflict) as conflict:
        base.finish(call, problem)
    assert conflict.value.allowed == ["a"] and conflict.value.detail == "no"
    with pytest.raises(errors.ServerError) as gateway:
        base.finish(call, httpx.Response(502, text="<html>bad gateway</html>"))
    assert gateway.value.problem["status"] == 502 and gateway.value.status == 502
    with pytest.raises(errors.HubError, match="unexpected answer"):
        base.finish(call, httpx.Response(200, json={"not": "a report"}))


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError):
        _base.BaseClient("ftp://hub.example.org")
