"""Retries: connection errors, 5xx and 429 are retried with backoff only where repeating
is safe; a lost answer to a report is retried into a replay, never into a duplicate."""

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from clients import AsyncHubClient, HubClient, errors
from clients._base import BaseClient, Call
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread, report


class Flaky(httpx.BaseTransport):
    """Forwards to the real hub, but spoils the first `failures` attempts: `lost` sends the
    request on and replaces the answer with a 503 (the hub did the work); `refused` answers
    503 without sending; `retry-after` answers 429; `connect` raises a connection error."""

    def __init__(self, *failures: str) -> None:
        self.failures = list(failures)
        self.inner = httpx.HTTPTransport()
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        failure = self.failures.pop(0) if self.failures else None
        if failure == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if failure == "retry-after":
            return httpx.Response(
                429, headers={"Retry-After": "0"}, json={"title": "slow down", "status": 429}
            )
        if failure == "refused":
            return httpx.Response(503, json={"title": "Service unavailable", "status": 503})
        answer = self.inner.handle_request(request)
        if failure == "lost":
            answer.read()
            answer.close()
            return httpx.Response(502, text="<html>bad gateway</html>")
        return answer


def client(url: str, token: str, transport: httpx.BaseTransport, **options: object) -> HubClient:
    return HubClient(url, token, transport=transport, retry_backoff=0.01, **options)  # type: ignore[arg-type]


@pytest.fixture
def iwf_token(api: Hub) -> str:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("GB-IWF", ["GB"])
    return api.token("hotline", "GB-IWF")


def count_reports(url: str, token: str) -> int:
    with HubClient(url, token) as plain:
        return len(list(plain.reports.list()))


def test_a_lost_answer_is_retried_into_a_replay_not_a_duplicate(
    hub: ServerThread, iwf_token: str
) -> None:
    flaky = Flaky("lost")
    submitted = client(hub.url, iwf_token, flaky).reports.submit(report())
    assert len(flaky.seen) == 2
    assert submitted.status == 200  # the hub had it already: a replay
    assert count_reports(hub.url, iwf_token) == 1


@pytest.mark.parametrize("failure", ["refused", "retry-after", "connect"])
def test_unavailable_rate_limited_and_unreachable_are_retried(
    hub: ServerThread, iwf_token: str, failure: str
) -> None:
    flaky = Flaky(failure, failure)
    submitted = client(hub.url, iwf_token, flaky).reports.submit(report())
    assert submitted.created and len(flaky.seen) == 3
    assert count_reports(hub.url, iwf_token) == 1


def test_a_batch_whose_answer_was_lost_is_replayed_whole(hub: ServerThread, iwf_token: str) -> None:
    flaky = Flaky("lost")
    bodies = [report(f"B-{i}", url=f"https://files.example.net/{i}") for i in range(20)]
    results = client(hub.url, iwf_token, flaky).reports.submit_batch(bodies)
    assert [r.status for r in results] == [200] * 20
    assert count_reports(hub.url, iwf_token) == 20


def test_a_status_update_is_retried_as_the_same_signed_message(hub: ServerThread, api: Hub) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tests.clients.test_sdk import raw_public

    key = Ed25519PrivateKey.generate()
    api.register("NL-MELDPUNT", ["NL"], public_keys=[raw_public(key)])
    api.register("GB-IWF", ["GB"])
    with HubClient(hub.url, api.token("hotline", "GB-IWF")) as iwf:
        referral = iwf.reports.submit(report()).routing.referral
    flaky = Flaky("lost")
    meldpunt = client(hub.url, api.token("hotline", "NL-MELDPUNT"), flaky, signing_key=key)
    meldpunt.events.ack([e.id for e in meldpunt.events.pull()])
    flaky.seen.clear()
    flaky.failures = ["lost"]

    moved = meldpunt.referrals.set_status(referral, "accepted", datetime.now(UTC))  # type: ignore[arg-type]

    assert moved.status == "accepted"
    ids = {r.headers["webhook-id"] for r in flaky.seen}
    assert len(flaky.seen) == 2 and len(ids) == 1


def test_token_creation_is_never_retried(hub: ServerThread) -> None:
    flaky = Flaky("refused")
    with pytest.raises(errors.ServerError) as failed:
        client(hub.url, ADMIN_TOKEN, flaky).tokens.create("auditor", "court")
    assert failed.value.status == 503 and len(flaky.seen) == 1

    flaky = Flaky("connect")
    with pytest.raises(errors.NetworkError):
        client(hub.url, ADMIN_TOKEN, flaky).tokens.create("auditor", "court")
    assert len(flaky.seen) == 1


def test_retries_stop_after_max_retries(hub: ServerThread, iwf_token: str) -> None:
    flaky = Flaky(*["refused"] * 10)
    with pytest.raises(errors.ServerError) as failed:
        client(hub.url, iwf_token, flaky, max_retries=2).reports.get("rpt_x")
    assert len(flaky.seen) == 3 and failed.value.problem["title"] == "Service unavailable"


def test_client_errors_are_not_retried(hub: ServerThread, iwf_token: str) -> None:
    flaky = Flaky()
    with pytest.raises(errors.NotFound):
        client(hub.url, iwf_token, flaky).reports.get("rpt_x")
    assert len(flaky.seen) == 1


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    base = BaseClient("http://hub.test", retry_backoff=1.0, max_retries=5)
    call: Call[None] = Call("GET", "/v1/x", lambda r: None, retry=True)
    delays = [base.retry_delay(call, n, error=httpx.ConnectError("x")) for n in range(5)]
    assert all(d is not None for d in delays)
    assert [0.5 <= d / 2**n <= 1.0 for n, d in enumerate(delays)] == [True] * 5
    slow = httpx.Response(429, headers={"Retry-After": "7"})
    assert base.retry_delay(call, 0, response=slow) == 7
    assert (
        base.retry_delay(call, 0, response=httpx.Response(429, headers={"Retry-After": "3600"}))
        is None
    )
    outage = httpx.Response(503, headers={"Retry-After": "2"})  # the database is unreachable
    assert base.retry_delay(call, 0, response=outage) == 2
    assert base.retry_delay(call, 5, response=httpx.Response(503)) is None
    unsafe: Call[None] = Call("POST", "/v1/tokens", lambda r: None, retry=False)
    assert base.retry_delay(unsafe, 0, response=httpx.Response(503)) is None


def test_a_rate_limited_call_reports_retry_after(hub: ServerThread, iwf_token: str) -> None:
    flaky = Flaky(*["retry-after"] * 5)
    with pytest.raises(errors.RateLimited) as limited:
        client(hub.url, iwf_token, flaky, max_retries=1).reports.get("rpt_x")
    assert limited.value.retry_after == 0


def test_the_async_client_retries_the_same_way(hub: ServerThread, iwf_token: str) -> None:
    class AsyncFlaky(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()
            self.calls = 0

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            self.calls += 1
            answer = await self.inner.handle_async_request(request)
            if self.calls == 1:
                await answer.aread()
                await answer.aclose()
                return httpx.Response(503)
            return answer

    transport = AsyncFlaky()

    async def submit() -> int:
        async with AsyncHubClient(hub.url, iwf_token, transport=transport, retry_backoff=0.01) as c:
            return (await c.reports.submit(report())).status

    assert asyncio.run(submit()) == 200 and transport.calls == 2
    assert count_reports(hub.url, iwf_token) == 1
