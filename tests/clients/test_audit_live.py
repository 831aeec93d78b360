"""The auditor's verifier against the real hub's log, and against the real hub behind a
tampering proxy: a forged, a rolled-back and a forked checkpoint, and a rewritten entry."""

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from clients import HubClient, audit
from clients.audit import BadSignature, EntryMismatch, Fork, Rollback
from hub.settings import Settings
from tests.clients.tlog import Signer, checkpoint_text
from tests.conftest import Hub, ServerThread, report

Rewrite = Callable[[httpx.Request, httpx.Response], httpx.Response]


class Tampering(httpx.BaseTransport):
    """Forwards to the real hub; `rewrite` may replace any answer on its way back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.rewrite: Rewrite | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        answer.read()
        return self.rewrite(request, answer) if self.rewrite else answer


def grow(iwf: httpx.Client, start: int, count: int) -> None:
    for index in range(start, start + count):
        body = report(f"LOG-{index}", url=f"https://files.example.net/log/{index}")
        assert iwf.post("/v1/reports", json=body).status_code == 201


@pytest.fixture
def iwf(api: Hub) -> httpx.Client:
    api.register("NL-MELDPUNT", ["NL"])
    return api.register("GB-IWF", ["GB"])


@pytest.fixture
def auditor(hub: ServerThread, api: Hub) -> tuple[HubClient, Tampering]:
    proxy = Tampering()
    return HubClient(hub.url, api.token("auditor", "court"), transport=proxy), proxy


def test_the_hubs_proofs_verify(
    hub: ServerThread, iwf: httpx.Client, auditor: tuple[HubClient, Tampering]
) -> None:
    client, _ = auditor
    grow(iwf, 0, 3)
    pin = client.keys().current()[0].note_verifier_key
    first = audit.verify_checkpoint(client.log.checkpoint(), pin)
    entries = list(client.log.entries(0, first.size))
    assert [e.index for e in entries] == list(range(first.size))
    leaves = [base64.b64decode(e.leaf_input) for e in entries]
    assert audit.root(audit.leaf_hash(leaf) for leaf in leaves) == first.root_hash
    for index, leaf in enumerate(leaves):
        proof = client.log.inclusion_proof(first.size, index=index)
        audit.verify_inclusion(
            index,
            first.size,
            audit.leaf_hash(leaf),
            [base64.b64decode(h) for h in proof.proof],
            first.root_hash,
        )
    by_hash = client.log.inclusion_proof(first.size, leaf_hash=audit.leaf_hash(leaves[-1]))
    assert by_hash.index == first.size - 1
    grow(iwf, 3, 2)
    second = audit.verify_checkpoint(client.log.checkpoint(), pin)
    consistency = client.log.consistency_proof(first.size, second.size)
    audit.verify_consistency(
        first.size,
        second.size,
        [base64.b64decode(h) for h in consistency.proof],
        first.root_hash,
        second.root_hash,
    )


def test_a_checkpoint_re_signed_by_an_impostor_is_caught(
    tmp_path: Path, iwf: httpx.Client, auditor: tuple[HubClient, Tampering]
) -> None:
    client, proxy = auditor
    state = tmp_path / "audit.json"
    client.log.verify(state)
    grow(iwf, 0, 1)
    impostor = Signer("hotline-hub.local/log")

    def resign(request: httpx.Request, answer: httpx.Response) -> httpx.Response:
        if request.url.path != "/v1/log/checkpoint":
            return answer
        text = answer.text[: answer.text.rindex("\n\n") + 1]
        return httpx.Response(200, text=impostor.sign(text))

    proxy.rewrite = resign
    with pytest.raises(BadSignature):
        client.log.verify(state)


def test_a_rolled_back_checkpoint_is_caught(
    tmp_path: Path, iwf: httpx.Client, auditor: tuple[HubClient, Tampering]
) -> None:
    client, proxy = auditor
    state = tmp_path / "audit.json"
    old_note = client.log.checkpoint()  # genuinely signed by the hub, just old
    grow(iwf, 0, 2)
    client.log.verify(state)

    def replay_old(request: httpx.Request, answer: httpx.Response) -> httpx.Response:
        if request.url.path == "/v1/log/checkpoint":
            return httpx.Response(200, text=old_note)
        return answer

    proxy.rewrite = replay_old
    with pytest.raises(Rollback):
        client.log.verify(state)


def test_a_fork_signed_with_the_hubs_own_key_is_caught(
    tmp_path: Path, iwf: httpx.Client, auditor: tuple[HubClient, Tampering], settings: Settings
) -> None:
    """A hub (or a thief of its key) that shows this auditor another history."""
    client, proxy = auditor
    state = tmp_path / "audit.json"
    grow(iwf, 0, 2)
    verified = client.log.verify(state)
    grow(iwf, 2, 1)
    assert settings.signing_key is not None
    key = serialization.load_pem_private_key(settings.signing_key.read_bytes(), password=None)
    hub_signer = Signer(verified.checkpoint.origin, key)  # type: ignore[arg-type]

    def fork(request: httpx.Request, answer: httpx.Response) -> httpx.Response:
        if request.url.path != "/v1/log/checkpoint":
            return answer
        size = int(answer.text.split("\n")[1])
        forged_root = bytes(32)  # a tree in which the verified entries never happened
        return httpx.Response(
            200,
            text=hub_signer.sign(checkpoint_text(verified.checkpoint.origin, size, forged_root)),
        )

    proxy.rewrite = fork
    with pytest.raises(Fork, match="does not extend"):
        client.log.verify(state)
    assert json.loads(state.read_text())["size"] == verified.size


def test_an_entry_rewritten_in_transit_is_caught_by_a_full_audit(
    iwf: httpx.Client, auditor: tuple[HubClient, Tampering]
) -> None:
    client, proxy = auditor
    grow(iwf, 0, 2)

    def rewrite_entry(request: httpx.Request, answer: httpx.Response) -> httpx.Response:
        if request.url.path != "/v1/log/entries":
            return answer
        body = answer.json()
        event = {**body["items"][0]["event"], "actor": "XX-FORGED"}
        body["items"][0]["event"] = event
        body["items"][0]["leaf_input"] = base64.b64encode(json.dumps(event).encode()).decode()
        return httpx.Response(200, json=body)

    proxy.rewrite = rewrite_entry
    with pytest.raises(EntryMismatch):
        client.log.verify(None, full=True)


def test_a_key_rotation_needs_a_deliberate_new_pin(
    tmp_path: Path, iwf: httpx.Client, auditor: tuple[HubClient, Tampering], settings: Settings
) -> None:
    from hub.exchange.rotation import rotate

    client, _ = auditor
    state = tmp_path / "audit.json"
    before = client.log.verify(state, full=True)
    assert rotate(settings) == 0
    grow(iwf, 0, 1)

    with pytest.raises(BadSignature):
        client.log.verify(state)
    keys = client.keys()
    new_pin = keys.current()[0].note_verifier_key
    assert any(k.retired and k.note_verifier_key == before.verifier_key for k in keys.keys)
    after = client.log.verify(state, pin=new_pin, full=True)
    assert after.key_changed and after.previous_size == before.size > 0
