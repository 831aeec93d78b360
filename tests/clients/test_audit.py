"""The auditor's verifier against a log served from memory: trust on first use, pinning,
growth, and the hub caught serving a forged checkpoint, a rolled-back tree or a fork."""

import asyncio
import json
from pathlib import Path

import pytest

from clients import AsyncHubClient, HubClient
from clients.audit import AuditState, BadSignature, EntryMismatch, Fork, KeyMismatch, Rollback
from tests.clients.tlog import FakeLog, Signer, leaf


def client(log: FakeLog) -> HubClient:
    return HubClient("https://hub.example.org", "auditor-token", transport=log.transport())


def test_first_audit_trusts_the_hubs_key_and_records_it(tmp_path: Path) -> None:
    log = FakeLog(size=5)
    state = tmp_path / "audit.json"

    result = client(log).log.verify(state)

    assert result.trust_on_first_use and result.size == 5 and result.previous_size is None
    saved = AuditState.load(state)
    assert saved is not None
    assert saved.verifier_key == log.verifier_key and saved.size == 5


def test_later_audits_prove_the_log_only_grew(tmp_path: Path) -> None:
    log = FakeLog(size=5)
    state = tmp_path / "audit.json"
    client(log).log.verify(state, pin=log.verifier_key)
    for more in (1, 7, 20):
        log.append(more)
        result = client(log).log.verify(state)
        assert not result.trust_on_first_use
        assert result.previous_size == len(log.leaves) - more
    paths = [r.url.path for r in log.requests]
    assert paths.count("/v1/log/proof/consistency") == 3
    assert "/v1/keys" not in paths[1:]


def test_an_unchanged_log_needs_no_proof(tmp_path: Path) -> None:
    log = FakeLog(size=5)
    state = tmp_path / "audit.json"
    client(log).log.verify(state)
    client(log).log.verify(state)
    assert "/v1/log/proof/consistency" not in [r.url.path for r in log.requests]


def test_an_empty_log_can_be_audited_and_then_grow(tmp_path: Path) -> None:
    log = FakeLog(size=0)
    state = tmp_path / "audit.json"
    assert client(log).log.verify(state).size == 0
    log.append(3)
    assert client(log).log.verify(state).size == 3


def test_a_forged_checkpoint_is_caught_and_state_is_kept(tmp_path: Path) -> None:
    log = FakeLog(size=5)
    state = tmp_path / "audit.json"
    client(log).log.verify(state)
    before = state.read_text()
    log.append(2)
    log.signer = Signer(log.origin)  # someone else's key, same log name

    with pytest.raises(BadSignature, match="not signed by"):
        client(log).log.verify(state)
    assert state.read_text() == before


def test_a_pinned_key_refuses_a_hub_that_rotated_to_an_unknown_key(tmp_path: Path) -> None:
    log = FakeLog(size=5)
    pinned = Signer(log.origin).verifier_key
    with pytest.raises(BadSignature):
        client(log).log.verify(tmp_path / "audit.json", pin=pinned)
    assert not (tmp_path / "audit.json").exists()


def test_a_rolled_back_tree_is_caught(tmp_path: Path) -> None:
    log = FakeLog(size=9)
    state = tmp_path / "audit.json"
    client(log).log.verify(state)
    log.leaves = log.leaves[:6]

    with pytest.raises(Rollback, match="6 entries, but signed one of 9"):
        client(log).log.verify(state)


def test_a_fork_is_caught(tmp_path: Path) -> None:
    log = FakeLog(size=9)
    state = tmp_path / "audit.json"
    client(log).log.verify(state)
    # A different history of 12 entries: entry 4 was rewritten.
    log.leaves = [*log.leaves[:4], leaf(4, "rewritten"), *log.leaves[5:]]
    log.append(3)

    with pytest.raises(Fork, match="does not extend"):
        client(log).log.verify(state)
    assert AuditState.load(state).size == 9  # type: ignore[union-attr]


def test_two_roots_for_one_size_are_a_fork(tmp_path: Path) -> None:
    log = FakeLog(size=9)
    state = tmp_path / "audit.json"
    client(log).log.verify(state)
    log.leaves[8] = leaf(8, "rewritten")

    with pytest.raises(Fork, match="two different roots"):
        client(log).log.verify(state)


def test_full_audit_recomputes_the_root_from_every_entry(tmp_path: Path) -> None:
    log = FakeLog(size=2345)
    state = tmp_path / "audit.json"
    result = client(log).log.verify(state, full=True)
    assert result.entries_checked == 2345 == result.entries_verified
    assert [r.url.params["start"] for r in log.requests if r.url.path == "/v1/log/entries"] == [
        "0",
        "1000",
        "2000",
    ]
    log.append(10)
    log.requests.clear()
    result = client(log).log.verify(state, full=True)
    assert result.entries_checked == 10  # only the new ones: the border was saved
    assert json.loads(state.read_text())["entries_verified"] == 2355


def test_full_audit_catches_an_entry_that_is_not_in_the_signed_tree(tmp_path: Path) -> None:
    log = FakeLog(size=30)
    log.entry_leaves = [*log.leaves[:17], leaf(17, "swapped"), *log.leaves[18:]]
    with pytest.raises(EntryMismatch, match="not to the signed root"):
        client(log).log.verify(tmp_path / "audit.json", full=True)
    assert not (tmp_path / "audit.json").exists()


def test_full_audit_catches_an_event_that_differs_from_its_leaf(tmp_path: Path) -> None:
    log = FakeLog(size=3)
    original = log._entries

    def lying(start: int, end: int):
        answer = original(start, end)
        body = answer.json()
        body["items"][1]["event"]["actor"] = "NL-MELDPUNT"
        return type(answer)(200, json=body)

    log._entries = lying  # type: ignore[method-assign]
    with pytest.raises(EntryMismatch, match="entry 1: the event does not match"):
        client(log).log.verify(None, full=True)


def test_trust_on_first_use_skips_retired_keys() -> None:
    log = FakeLog(size=3)
    old = Signer(log.origin)
    log.published_keys = [old, log.signer]
    log.signer = old
    original = log.handle

    def keys_with_old_retired(request):
        if request.url.path == "/v1/keys":
            return type(original(request))(
                200, json={"keys": [old.jwk(retired=True), FakeLog().signer.jwk()]}
            )
        return original(request)

    log.handle = keys_with_old_retired  # type: ignore[method-assign]
    with pytest.raises(BadSignature, match="current keys"):
        client(log).log.verify(None)


def test_repinning_after_a_rotation_is_recorded(tmp_path: Path) -> None:
    log = FakeLog(size=4)
    state = tmp_path / "audit.json"
    client(log).log.verify(state)
    log.signer = Signer(log.origin)
    log.append(1)
    result = client(log).log.verify(state, pin=log.signer.verifier_key)
    assert result.key_changed and result.previous_size == 4


def test_a_key_for_another_log_is_refused(tmp_path: Path) -> None:
    log = FakeLog(size=4)
    with pytest.raises(KeyMismatch):
        client(log).log.verify(None, pin=Signer("other.example/log").verifier_key)


def test_the_async_client_audits_the_same_way(tmp_path: Path) -> None:
    log = FakeLog(size=40)
    state = tmp_path / "audit.json"

    async def audit() -> None:
        transport = log.transport()
        async with AsyncHubClient("https://hub.example.org", "t", transport=transport) as hub:
            first = await hub.log.verify(state, full=True)
            assert first.trust_on_first_use and first.entries_checked == 40
            log.leaves = log.leaves[:20]
            with pytest.raises(Rollback):
                await hub.log.verify(state)

    asyncio.run(audit())
