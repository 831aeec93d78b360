"""`AsyncHubClient` against a live hub: the same calls as `HubClient`, awaited, with
async iterators for lists, and the same methods on both (checked by name and signature)."""

import asyncio
import inspect
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from clients import AsyncHubClient, HubClient, SubmittedReport, errors
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread, report


def public_methods(resource: object) -> dict[str, list[inspect.Parameter]]:
    return {
        name: list(inspect.signature(member).parameters.values())
        for name, member in inspect.getmembers(resource, callable)
        if not name.startswith("_")
    }


def test_both_clients_offer_the_same_methods() -> None:
    sync, asynchronous = HubClient("http://hub.test"), AsyncHubClient("http://hub.test")
    resources = [n for n, v in vars(sync).items() if not n.startswith("_")]
    assert set(resources) == {
        "reports", "referrals", "cases", "events", "hotlines",
        "routes", "tokens", "deliveries", "log", "lists",
    }  # fmt: skip
    for name in resources:
        assert public_methods(getattr(sync, name)) == public_methods(getattr(asynchronous, name))
    assert public_methods(sync).keys() == public_methods(asynchronous).keys()
    sync.close()
    asyncio.run(asynchronous.close())


def test_async_client_end_to_end(hub: ServerThread, api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("GB-IWF", ["GB"])
    iwf_token, meldpunt_token = api.token("hotline", "GB-IWF"), api.token("hotline", "NL-MELDPUNT")

    async def scenario() -> None:
        async with (
            AsyncHubClient(hub.url, iwf_token) as iwf,
            AsyncHubClient(hub.url, meldpunt_token) as meldpunt,
            AsyncHubClient(hub.url, ADMIN_TOKEN) as admin,
        ):
            first, second = await asyncio.gather(
                iwf.reports.submit(report("A-1")),
                iwf.reports.submit(report("A-2", url="https://files.example.net/2")),
            )
            assert isinstance(first, SubmittedReport) and first.created and second.created
            results = [
                r
                async for r in iwf.reports.submit_many(
                    [report(f"A-{i}", url=f"https://files.example.net/{i}") for i in range(3, 6)],
                    batch_size=2,
                )
            ]
            assert all(r.created for r in results)  # type: ignore[union-attr]
            assert len([r async for r in iwf.reports.list(limit=2)]) == 5
            assert (await iwf.reports.get(first.id)).reference == "A-1"

            referrals = [r async for r in meldpunt.referrals.inbox()]
            assert len(referrals) == 5
            feed = meldpunt.events.pull(limit=2)
            events = [e async for e in feed]
            assert len(events) == 5 and feed.cursor is not None
            await meldpunt.events.ack([events[0].id])
            moved = await meldpunt.referrals.set_status(
                referrals[0].id, "accepted", datetime.now(UTC)
            )
            assert moved.status == "accepted"
            assert (await iwf.cases.get(referrals[0].case)).status == "accepted"

            assert [h.id async for h in admin.hotlines.list()] == ["GB-IWF", "NL-MELDPUNT"]
            assert (await admin.stats()).cases.total == 5
            assert (await admin.keys()).current()
            with pytest.raises(errors.NotFound):
                await iwf.reports.get("rpt_missing")

    asyncio.run(scenario())


def test_sync_and_async_clients_share_one_hub(hotline: Callable[..., HubClient]) -> None:
    """A token used by both clients sees the same reports."""
    client = hotline("GB-IWF", ["GB"])

    async def read() -> int:
        async with AsyncHubClient(client.base_url, client._base.token) as same:
            return len([r async for r in same.reports.list()])

    client.reports.submit(report())
    assert asyncio.run(read()) == 1
