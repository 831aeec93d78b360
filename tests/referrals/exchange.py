"""Status test support: a reporter, hosting hotlines, and a handle that moves referrals
along the graph through the API (and `mark_delivered_many`, the hub's own move).

The fixtures here are imported by the conftest of tests/referrals and tests/stats.
"""

import base64
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hub import exchange
from hub.log import queue
from hub.referrals.models import StatusChange
from hub.referrals.status import mark_delivered_many
from tests.conftest import Hub, ServerThread, report

# Every occurred_at of a test is a minute step from here: in the past, so always plausible.
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def stamp(step: int) -> str:
    return (BASE + timedelta(minutes=step)).isoformat().replace("+00:00", "Z")


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def signature_headers(
    key: Ed25519PrivateKey, body: bytes, webhook_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """Standard Webhooks v1a headers over `body`, as a hotline with a registered key sends."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = key.sign(f"{webhook_id}.{timestamp}.".encode() + body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1a," + base64.b64encode(signature).decode(),
    }


@dataclass
class Recorded:
    """`exchange.log` and `exchange.notify` calls, recorded on their way through."""

    leaves: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    events: list[tuple[str, list[str], dict[str, Any]]] = field(default_factory=list)

    def of(self, type: str) -> list[tuple[list[str], dict[str, Any]]]:
        return [(to, data) for kind, to, data in self.events if kind == type]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    calls = Recorded()
    log_many, notify_many = exchange.log_many, exchange.notify_many

    # The single-item `log` and `notify` go through these too.
    def recording_log_many(session: Any, entries: list[Any]) -> None:
        for entry in entries:
            calls.leaves.append(
                (entry.type, {"actor": entry.actor, "subject": entry.subject, **entry.fields})
            )
        log_many(session, entries)

    def recording_notify_many(session: Any, notices: list[Any]) -> None:
        for notice in notices:
            calls.events.append((notice.type, list(notice.recipients), notice.data))
        notify_many(session, notices)

    # `exchange.log` is `hub.log.queue.log`, which calls the queue's own `log_many`.
    monkeypatch.setattr(exchange, "log_many", recording_log_many)
    monkeypatch.setattr(queue, "log_many", recording_log_many)
    monkeypatch.setattr(exchange, "notify_many", recording_notify_many)
    return calls


class Exchange:
    """GB-IWF reports, NL-MELDPUNT receives NL-hosted referrals, DE-ECO serves DE."""

    def __init__(self, api: Hub, server: ServerThread, nl: httpx.Client) -> None:
        self.api = api
        self.database = server.app.state.hub.database
        self.iwf = api.register("GB-IWF", ["GB"])
        self.nl = nl
        self.de = api.register("DE-ECO", ["DE"])
        self.step = 0

    def next_stamp(self) -> str:
        self.step += 1
        return stamp(self.step)

    def submit(self, client: httpx.Client | None = None, **fields: Any) -> dict[str, Any]:
        fields.setdefault("url", f"https://files.example.net/{secrets.token_hex(6)}.jpg")
        answer = (client or self.iwf).post(
            "/v1/reports", json=report(f"REF-{secrets.token_hex(6)}", **fields)
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def referral(self, **fields: Any) -> tuple[str, str]:
        """A new case referred to NL-MELDPUNT: (case id, referral id)."""
        body = self.submit(**fields)
        assert body["routing"]["reason"] == "hosting_country", body
        return body["case"]["id"], body["routing"]["referral"]

    def deliver(self, referral_id: str, at: str | None = None) -> None:
        when = datetime.fromisoformat(at or self.next_stamp())
        with self.database.transaction() as session:
            mark_delivered_many(session, [referral_id], when)

    def post(
        self,
        referral_id: str,
        status: str,
        at: str | None = None,
        country: str | None = None,
        client: httpx.Client | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"status": status, "occurred_at": at or self.next_stamp()}
        if country is not None:
            body["country"] = country
        return (client or self.nl).post(f"/v1/referrals/{referral_id}/status", json=body)

    def post_signed(
        self,
        referral_id: str,
        key: Ed25519PrivateKey,
        body: dict[str, Any],
        webhook_id: str,
        **header_overrides: str,
    ) -> httpx.Response:
        raw = json.dumps({"referral": referral_id, **body}).encode()
        headers = {"content-type": "application/json"}
        headers.update(signature_headers(key, raw, webhook_id))
        headers.update(header_overrides)
        return self.nl.post(f"/v1/referrals/{referral_id}/status", content=raw, headers=headers)

    def walk(self, referral_id: str, path: list[str]) -> None:
        """Moves a referral along `path`; `delivered` through the hub, the rest by NL."""
        for status in path:
            if status == "delivered":
                self.deliver(referral_id)
                continue
            answer = self.post(referral_id, status, country="DE" if status == "rerouted" else None)
            assert answer.status_code == 200, answer.text

    def history(self, case_id: str) -> list[tuple[str | None, str]]:
        with self.database.session(write=False) as session:
            rows = session.scalars(
                select(StatusChange)
                .where(StatusChange.case_id == case_id)
                .order_by(StatusChange.seq)
            )
            return [(row.referral_id, row.status) for row in rows]

    def case(self, case_id: str) -> dict[str, Any]:
        answer = self.api.admin.get(f"/v1/cases/{case_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def nl_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def hotlines(api: Hub, hub: ServerThread) -> Iterator[Exchange]:
    yield Exchange(api, hub, api.register("NL-MELDPUNT", ["NL"]))


@pytest.fixture
def signed_hotlines(api: Hub, hub: ServerThread, nl_key: Ed25519PrivateKey) -> Iterator[Exchange]:
    """As `hotlines`, but NL-MELDPUNT has a registered key (and an old one beside it)."""
    old = public_key_b64(Ed25519PrivateKey.generate())
    nl = api.register("NL-MELDPUNT", ["NL"], public_keys=[old, public_key_b64(nl_key)])
    yield Exchange(api, hub, nl)
