"""The exchange log over the wire, checked the way an auditor would: every proof is the RFC
9162 reference's and passes the SDK's verifier, and the signed checkpoint verifies with
independent code and only the key from `/v1/keys`."""

import base64
import hashlib
import json
import re
import time
from typing import Any

import httpx
import pytest
import rfc8785

from clients import audit
from hub.hotlines import service as hotlines
from hub.log import signer
from hub.state import HubState
from schemas.hotlines import HotlineIn
from tests.conftest import Hub, ServerThread, report
from tests.log import independent
from tests.log.vectors import generate

LEAF_FIELDS = {"v", "seq", "type", "at", "actor", "digest"} | {
    "case", "referral", "from", "to", "country", "status", "hotline", "kid", "retired_kid"
}  # fmt: skip


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _auditor(api: Hub) -> httpx.Client:
    return api.client(api.token("auditor", "oversight-board"))


def _build_log(api: Hub, reports: int = 5) -> httpx.Client:
    """About 20 leaves: three hotlines (one with a key) and reports referred abroad."""
    api.register("NL-MELDPUNT", ["NL"])
    api.register("DE-ECO", ["DE"])
    key = b64(bytes(range(32)))
    iwf = api.register("GB-IWF", ["GB"], public_keys=[key])
    for n in range(reports):
        answer = iwf.post(
            "/v1/reports", json=report(f"R-{n}", url=f"https://files.example.net/{n}")
        )
        assert answer.status_code == 201, answer.text
    return iwf


def _entries(client: httpx.Client, size: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while len(items) < size:
        answer = client.get("/v1/log/entries", params={"start": len(items), "end": size})
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
    return items


def _leaves(client: httpx.Client) -> list[bytes]:
    size = _checkpoint(client)[1]
    return [base64.b64decode(item["leaf_input"]) for item in _entries(client, size)]


def _current_key(client: httpx.Client) -> dict[str, Any]:
    keys = client.get("/v1/keys").json()["keys"]
    [current] = [key for key in keys if key["not_after"] is None]
    return current


def _checkpoint(client: httpx.Client) -> tuple[str, int, bytes]:
    answer = client.get("/v1/log/checkpoint")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return independent.open_checkpoint(answer.text, _current_key(client)["note_verifier_key"])


def test_keys_are_a_public_jwks_in_every_spelling(api: Hub) -> None:
    answer = api.client().get("/v1/keys")

    assert answer.status_code == 200
    [key] = answer.json()["keys"]
    public = b64url_decode(key["x"])
    assert len(public) == 32
    assert {k: key[k] for k in ("kty", "crv", "use", "alg")} == {
        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA"
    }  # fmt: skip
    thumbprint = hashlib.sha256(
        json.dumps({"crv": "Ed25519", "kty": "OKP", "x": key["x"]}, separators=(",", ":")).encode()
    ).digest()
    assert key["kid"] == base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode()
    assert key["webhook_public_key"] == "whpk_" + b64(public)
    name, key_id, encoded = key["note_verifier_key"].split("+", 2)
    assert name == "hotline-hub.local/log"
    assert base64.b64decode(encoded) == b"\x01" + public
    assert key_id == hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex()
    assert key["not_after"] is None
    assert key["created_at"].endswith("Z")


def test_an_empty_log_answers_with_a_signed_checkpoint_of_size_0(
    api: Hub, hub: ServerThread
) -> None:
    origin, size, root = _checkpoint(_auditor(api))

    assert (origin, size, root) == ("hotline-hub.local/log", 0, hashlib.sha256(b"").digest())
    note = api.admin.get("/v1/log/checkpoint").text
    assert note.startswith(
        f"hotline-hub.local/log\n0\n{b64(root)}\n\n\u2014 hotline-hub.local/log "
    )


def test_the_checkpoint_commits_to_every_entry_and_verifies_with_the_published_key(
    api: Hub,
) -> None:
    _build_log(api)
    auditor = _auditor(api)

    _, size, root = _checkpoint(auditor)
    items = _entries(auditor, size)

    assert size == 3 + 1 + 5 * 3  # three hotlines, one key, three leaves per referred report
    assert [item["index"] for item in items] == list(range(size))
    leaves = [base64.b64decode(item["leaf_input"]) for item in items]
    assert generate.mth(leaves) == root
    for item, leaf in zip(items, leaves, strict=True):
        assert json.loads(leaf) == item["event"]
        assert rfc8785.dumps(item["event"]) == leaf
        assert item["event"]["seq"] == item["index"]
        assert item["event"]["v"] == 1
        assert set(item["event"]) <= LEAF_FIELDS


def test_every_inclusion_proof_of_a_small_log_verifies(api: Hub) -> None:
    _build_log(api)
    auditor = _auditor(api)
    leaves = _leaves(auditor)

    for size in range(1, len(leaves) + 1):
        root = generate.mth(leaves[:size])
        for index in range(size):
            answer = auditor.get(
                "/v1/log/proof/inclusion", params={"index": index, "tree_size": size}
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            leaf_hash = generate.leaf_hash(leaves[index])
            assert (body["index"], body["tree_size"]) == (index, size)
            assert body["leaf_hash"] == b64(leaf_hash)
            proof = [base64.b64decode(value) for value in body["proof"]]
            assert proof == generate.path(index, leaves[:size])
            audit.verify_inclusion(index, size, leaf_hash, proof, root)
            if proof:  # a flipped bit must not verify
                proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
                with pytest.raises(audit.RootMismatch):
                    audit.verify_inclusion(index, size, leaf_hash, proof, root)


def test_a_hotline_proves_its_report_is_logged_from_the_answer_it_holds(api: Hub) -> None:
    _build_log(api, reports=2)
    iwf = api.client(api.token("hotline", "GB-IWF"))
    answer = iwf.post("/v1/reports", json=report("mine", url="https://files.example.net/mine"))
    digest = "sha256:" + hashlib.sha256(rfc8785.dumps(answer.json())).hexdigest()

    _, size, root = _checkpoint(iwf)
    mine = iwf.get("/v1/log/entries", params={"digest": digest}).json()["items"]
    [(index, leaf)] = [
        (item["index"], base64.b64decode(item["leaf_input"]))
        for item in mine
        if item["event"]["type"] == "report.received"
    ]
    assert {item["event"]["type"] for item in mine} == {"report.received", "case.opened"}
    leaf_hash = generate.leaf_hash(leaf)
    proof = iwf.get(
        "/v1/log/proof/inclusion", params={"leaf_hash": b64(leaf_hash), "tree_size": size}
    ).json()

    assert proof["index"] == index
    path = [base64.b64decode(value) for value in proof["proof"]]
    audit.verify_inclusion(index, size, leaf_hash, path, root)


def test_every_pair_of_tree_sizes_is_consistent(api: Hub) -> None:
    _build_log(api)
    auditor = _auditor(api)
    leaves = _leaves(auditor)
    roots = [generate.mth(leaves[:size]) for size in range(len(leaves) + 1)]

    for second in range(1, len(leaves) + 1):
        for first in range(1, second + 1):
            answer = auditor.get(
                "/v1/log/proof/consistency", params={"first": first, "second": second}
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert (body["first"], body["second"]) == (first, second)
            proof = [base64.b64decode(value) for value in body["proof"]]
            assert proof == generate.proof(first, leaves[:second]), (first, second)
            audit.verify_consistency(first, second, proof, roots[first], roots[second])
            if first != second:  # another tree's root must not pass
                with pytest.raises(audit.RootMismatch):
                    audit.verify_consistency(first, second, proof, roots[first - 1], roots[second])


def test_the_background_signer_follows_appends_within_a_second(api: Hub, hub: ServerThread) -> None:
    state: HubState = hub.app.state.hub
    api.register("NL-MELDPUNT", ["NL"])
    deadline = time.monotonic() + 3
    while True:
        with state.database.session(write=False) as session:
            latest = signer.latest(session)
        if latest is not None and latest.size == 1:
            break
        assert time.monotonic() < deadline, "no checkpoint of size 1 was signed"
        time.sleep(0.05)
    assert latest.kid == state.current_key().kid


def test_a_rejected_report_leaves_no_leaf(api: Hub) -> None:
    iwf = _build_log(api, reports=1)
    auditor = _auditor(api)
    size = _checkpoint(auditor)[1]

    again = iwf.post("/v1/reports", json=report("R-0", url="https://files.example.net/other"))
    bad = iwf.post("/v1/reports", json=report("R-9", url="ftp://files.example.net/x"))

    assert (again.status_code, bad.status_code) == (409, 422)
    assert _checkpoint(auditor)[1] == size


def test_a_failing_batch_item_leaves_no_leaf_and_no_gap(api: Hub) -> None:
    iwf = _build_log(api, reports=1)
    auditor = _auditor(api)
    size = _checkpoint(auditor)[1]

    answer = iwf.post(
        "/v1/reports:batch",
        json={
            "reports": [
                report("B-1", url="https://files.example.net/b1"),
                report("R-0", url="https://files.example.net/clash"),  # reference reused: 409
                report("B-2", url="https://files.example.net/b2"),
            ]
        },
    )

    assert [r["status"] for r in answer.json()["results"]] == [201, 409, 201]
    _, new_size, root = _checkpoint(auditor)
    assert new_size == size + 2 * 3
    leaves = _leaves(auditor)
    assert [json.loads(leaf)["seq"] for leaf in leaves] == list(range(new_size))
    assert generate.mth(leaves) == root


def test_a_change_that_fails_after_its_leaf_was_appended_leaves_no_leaf(
    api: Hub, hub: ServerThread
) -> None:
    state: HubState = hub.app.state.hub
    api.register("NL-MELDPUNT", ["NL"])
    body = HotlineIn.model_validate({"id": "DE-ECO", "name": "eco", "countries": ["DE"]})

    with pytest.raises(RuntimeError), state.database.transaction() as session:
        hotlines.register(session, body, "operator", state.webhook_check)
        raise RuntimeError("the request failed after the leaf was appended")

    assert _checkpoint(_auditor(api))[1] == 1
    assert api.admin.get("/v1/hotlines/DE-ECO").status_code == 404


def test_no_leaf_holds_a_reported_url_or_content_hash(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("DE-ECO", ["DE"])
    iwf = api.register("GB-IWF", ["GB"])
    submitted: list[str] = []
    for n, url in enumerate(
        [
            "https://files.example.net/a/b.jpg?x=1",
            "HTTPS://Images.Example.DE:443/gallery/%7e/pic.png#frag",
            "http://nowhere.example.org/secret-path",
        ]
    ):
        hashes = {
            "sha256": hashlib.sha256(url.encode()).hexdigest(),
            "sha1": hashlib.sha1(url.encode()).hexdigest(),
            "md5": hashlib.md5(url.encode()).hexdigest(),
        }
        pdq = hashlib.sha256(b"pdq" + url.encode()).hexdigest()
        photodna = b64(hashlib.sha512(url.encode()).digest() * 2 + bytes(16))
        body = report(
            f"S-{n}",
            url=url,
            content={
                "kind": "image",
                "hashes": [
                    *({"alg": alg, "value": value} for alg, value in hashes.items()),
                    {"alg": "pdq", "value": pdq, "quality": 90},
                    {"alg": "photodna", "value": photodna},
                ],
            },
        )
        assert iwf.post("/v1/reports", json=body).status_code == 201
        submitted += [url, url.lower(), *hashes.values(), pdq, photodna, photodna[:40]]
        submitted.append(hashlib.sha256(url.split("#")[0].encode()).hexdigest())
    submitted += ["files.example.net", "images.example.de", "nowhere.example.org", "/gallery/"]
    submitted += ["203.0.113.7", "198.51.100.20"]

    leaves = _leaves(_auditor(api))
    text = b"\n".join(leaves).decode()

    assert len(leaves) == 3 + 3 * 2 + 2  # NL and DE cases are referred, the unresolvable one not
    for value in submitted:
        assert value not in text
        assert value.upper() not in text
    assert "://" not in text and "http" not in text
    for leaf in leaves:
        event = json.loads(leaf)
        event.pop("digest")
        assert not re.search(r"[0-9a-fA-F]{32}", json.dumps(event))


def test_the_log_needs_a_token_but_the_keys_do_not(api: Hub) -> None:
    anonymous = api.client()
    for path in (
        "/v1/log/checkpoint",
        "/v1/log/entries?start=0",
        "/v1/log/proof/inclusion?index=0&tree_size=1",
        "/v1/log/proof/consistency?first=1&second=1",
    ):
        answer = anonymous.get(path)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    assert anonymous.get("/v1/keys").status_code == 200
    hotline = api.register("NL-MELDPUNT", ["NL"])
    for client in (api.admin, _auditor(api)):
        assert client.get("/v1/log/entries", params={"start": 0}).json()["items"][0]["index"] == 0
    # Need to know (PROTOCOL 1.4): a hotline proves its own objects but reads no one else's.
    assert hotline.get("/v1/log/entries", params={"start": 0}).status_code == 403
    assert hotline.get("/v1/log/checkpoint").status_code == 200


def test_entries_past_the_largest_index_are_none(api: Hub) -> None:
    answer = _auditor(api).get("/v1/log/entries", params={"start": 2**63 - 1})
    assert answer.status_code == 200 and answer.json() == {"items": []}


@pytest.mark.parametrize(
    ("path", "params", "status", "loc"),
    [
        ("entries", {"start": 3, "end": 2}, 422, "end"),
        ("entries", {"start": 0, "end": 1001}, 422, "end"),
        ("entries", {"start": -1}, 422, "start"),
        ("entries", {"start": "one"}, 422, "start"),
        ("entries", {}, 422, "start"),
        ("proof/inclusion", {"index": 0, "tree_size": 4}, 422, "tree_size"),
        ("proof/inclusion", {"index": 3, "tree_size": 3}, 422, "index"),
        ("proof/inclusion", {"index": 0, "tree_size": 0}, 422, "tree_size"),  # at least 1
        ("proof/inclusion", {"tree_size": 1}, 422, "index"),
        (
            "proof/inclusion",
            {"index": 0, "leaf_hash": b64(bytes(32)), "tree_size": 1},
            422,
            "index",
        ),
        ("proof/inclusion", {"leaf_hash": "not base64!", "tree_size": 1}, 422, "leaf_hash"),
        ("proof/inclusion", {"leaf_hash": b64(bytes(31)), "tree_size": 1}, 422, "leaf_hash"),
        ("proof/inclusion", {"leaf_hash": b64(bytes(32)), "tree_size": 1}, 404, None),
        ("proof/inclusion", {"index": 1.5, "tree_size": 3}, 422, "index"),
        ("proof/consistency", {"first": 0, "second": 2}, 422, "first"),
        ("proof/consistency", {"first": 3, "second": 2}, 422, "second"),
        ("proof/consistency", {"first": 1, "second": 4}, 422, "second"),
        ("proof/consistency", {"first": 1}, 422, "second"),
        # Found by schemathesis: sizes whose node keys overflow a database integer were 500s.
        ("proof/consistency", {"first": 1, "second": 2**63 - 2}, 422, "second"),
        ("proof/inclusion", {"index": 0, "tree_size": 2**63 - 1}, 422, "tree_size"),
    ],
)
def test_bad_ranges_and_sizes_are_problems(
    api: Hub, path: str, params: dict[str, Any], status: int, loc: str | None
) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("DE-ECO", ["DE"])
    api.register("FR-PDC", ["FR"])  # three leaves

    answer = _auditor(api).get(f"/v1/log/{path}", params=params)

    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status
    if loc is not None:
        assert ["query", loc] in [error["loc"] for error in problem["errors"]]


def test_equal_sizes_have_an_empty_consistency_proof(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    answer = _auditor(api).get("/v1/log/proof/consistency", params={"first": 1, "second": 1})
    assert answer.json() == {"first": 1, "second": 1, "proof": []}


def test_entries_stop_where_the_log_ends(api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    auditor = _auditor(api)
    assert (
        len(auditor.get("/v1/log/entries", params={"start": 0, "end": 1000}).json()["items"]) == 1
    )
    assert auditor.get("/v1/log/entries", params={"start": 5, "end": 9}).json() == {"items": []}
