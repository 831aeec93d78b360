"""Fixtures for the SDK and CLI tests: SDK clients holding real tokens of a live hub,
and a check of which endpoints the hub serves (tests of later endpoints skip until then)."""

from collections.abc import Callable, Iterator

import httpx
import pytest

from clients import HubClient
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread


def served_paths(url: str) -> set[str]:
    return set(httpx.get(f"{url}/openapi.json", timeout=10).json()["paths"])


@pytest.fixture
def requires(hub: ServerThread) -> Callable[..., None]:
    """`requires("/v1/events")` skips the test while the hub does not serve that path."""
    paths = served_paths(hub.url)

    def check(*needed: str) -> None:
        missing = [path for path in needed if path not in paths]
        if missing:
            pytest.skip(f"the hub does not serve {', '.join(missing)} yet")

    return check


@pytest.fixture
def admin(hub: ServerThread) -> Iterator[HubClient]:
    with HubClient(hub.url, ADMIN_TOKEN, retry_backoff=0.01) as client:
        yield client


@pytest.fixture
def hotline(api: Hub) -> Iterator[Callable[..., HubClient]]:
    """`hotline("GB-IWF", ["GB"], **fields)` registers a hotline; an SDK client of it."""
    made: list[HubClient] = []

    def make(hotline_id: str, countries: list[str], **options: object) -> HubClient:
        fields = {k: options.pop(k) for k in ("webhook_url", "public_keys") if k in options}
        api.register(hotline_id, countries, **fields)
        client = HubClient(api.url, api.token("hotline", hotline_id), retry_backoff=0.01, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
