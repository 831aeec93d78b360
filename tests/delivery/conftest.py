"""Fixtures of the delivery tests: a hub that runs its worker in-process on either
database, loopback webhook receivers that verify every signature, and a movable clock."""

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from hub import clock
from hub.settings import Settings
from tests.conftest import Hub, ServerThread
from tests.support.receiver import Receiver, public_key_from_pem

FAST = {"inprocess_worker": True, "delivery_poll_interval": 0.02}


@pytest.fixture
def settings(settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(**FAST)


@pytest.fixture
def receivers(hub: ServerThread, settings: Settings) -> Iterator[Callable[[], Receiver]]:
    """Starts receivers that trust only the hub's public key (from its key file)."""
    started: list[Receiver] = []

    def start() -> Receiver:
        receiver = Receiver(public_key_from_pem(settings.signing_key_path)).__enter__()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.__exit__()


class Clock:
    """Moves the hub's clock (hub.clock.offset) for the hub and its in-process worker."""

    def advance(self, delta: timedelta) -> None:
        clock.offset += delta

    def now(self) -> Any:
        return clock.utcnow()


@pytest.fixture
def hub_clock() -> Iterator[Clock]:
    saved = clock.offset
    yield Clock()
    clock.offset = saved


@pytest.fixture
def hub_with(settings_for: Callable[..., Settings]) -> Iterator[Callable[..., ServerThread]]:
    """Starts a hub with settings of the test's own (on top of FAST)."""
    servers: list[ServerThread] = []

    def start(**overrides: Any) -> ServerThread:
        server = ServerThread(settings_for(**{**FAST, **overrides})).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def delivery(api: Hub, event_id: str, state: str = "pending") -> dict[str, Any] | None:
    answer = api.admin.get("/v1/deliveries", params={"state": state, "limit": 1000})
    assert answer.status_code == 200, answer.text
    return next((item for item in answer.json()["items"] if item["id"] == event_id), None)


def referral_status(client: Any, referral_id: str) -> str:
    return client.get(f"/v1/referrals/{referral_id}").json()["status"]
