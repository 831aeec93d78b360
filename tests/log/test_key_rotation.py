"""`python -m hub admin rotate-key` on a running hub: the rotation is itself logged, new
checkpoints verify with the new key only, and the old key stays listed with its stop time."""

import base64
import json
import subprocess
import sys
from datetime import datetime

import httpx

from clients import audit
from hub.settings import Settings
from tests.conftest import Hub, ServerThread
from tests.log import independent
from tests.support.processes import ROOT, hub_environment


def _rotate(settings: Settings) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hub", "admin", "rotate-key"],
        env=hub_environment(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _fails(note: str, vkey: str) -> bool:
    try:
        independent.open_checkpoint(note, vkey)
    except AssertionError:
        return True
    return False


def test_rotating_the_key_logs_it_and_signs_with_the_new_key_from_then_on(
    api: Hub, hub: ServerThread, settings: Settings
) -> None:
    auditor = api.client(api.token("auditor", "oversight"))
    api.register("NL-MELDPUNT", ["NL"])
    [old] = auditor.get("/v1/keys").json()["keys"]
    before = auditor.get("/v1/log/checkpoint").text
    _, old_size, old_root = independent.open_checkpoint(before, old["note_verifier_key"])

    printed = _rotate(settings)

    keys = auditor.get("/v1/keys").json()["keys"]
    assert [key["kid"] for key in keys][1:] == [old["kid"]]
    new, retired = keys
    assert printed == new["note_verifier_key"]
    assert new["not_after"] is None
    assert retired["not_after"] is not None
    assert datetime.fromisoformat(retired["not_after"]) <= datetime.fromisoformat(new["created_at"])
    after = auditor.get("/v1/log/checkpoint").text
    _, size, root = independent.open_checkpoint(after, new["note_verifier_key"])
    assert _fails(after, old["note_verifier_key"])
    assert size == old_size + 1
    [item] = auditor.get("/v1/log/entries", params={"start": old_size}).json()["items"]
    event = item["event"]
    assert (event["type"], event["actor"]) == ("hub.key_rotated", "hub")
    assert (event["kid"], event["retired_kid"]) == (new["kid"], old["kid"])

    # The running server re-reads the key file: its next checkpoint is the new key's too.
    api.register("DE-ECO", ["DE"])
    note = auditor.get("/v1/log/checkpoint").text
    assert independent.open_checkpoint(note, new["note_verifier_key"])[1] == size + 1
    assert _fails(note, old["note_verifier_key"])

    # What the old key signed still verifies, and the log only grew since.
    assert independent.open_checkpoint(before, retired["note_verifier_key"])[1] == old_size
    proof = auditor.get(
        "/v1/log/proof/consistency", params={"first": old_size, "second": size}
    ).json()["proof"]
    hashes = [base64.b64decode(value) for value in proof]
    audit.verify_consistency(old_size, size, hashes, old_root, root)


def test_the_old_key_is_kept_owner_only_beside_the_new_one(
    hub: ServerThread, settings: Settings
) -> None:
    path = settings.signing_key_path
    old_kid = hub.app.state.hub.current_key().kid

    _rotate(settings)

    backup = path.with_name(f"{path.name}.{old_kid}.retired")
    assert backup.stat().st_mode & 0o777 == 0o600
    assert path.stat().st_mode & 0o777 == 0o600
    assert backup.read_bytes() != path.read_bytes()
    assert hub.app.state.hub.current_key().kid != old_kid
    keys = httpx.get(f"{hub.url}/v1/keys").json()["keys"]
    assert json.dumps(keys).count("-----BEGIN") == 0
    assert {key["kid"] for key in keys} == {old_kid, hub.app.state.hub.current_key().kid}
