"""The log checks of the contention tests, done as an auditor and a reporter would with the
SDK's verifier: a signed checkpoint whose tree holds every acknowledged report, gapless."""

import base64
import hashlib
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import rfc8785

from clients import audit as sdk
from tests.contention.conftest import Exchange
from tests.log import independent


def digest(report: dict[str, Any]) -> str:
    """The leaf digest of a report answer: SHA-256 of its JCS form."""
    return "sha256:" + hashlib.sha256(rfc8785.dumps(report)).hexdigest()


@dataclass
class Tree:
    """A verified checkpoint and every leaf under it, parsed."""

    size: int = 0
    root: bytes = b""
    leaves: list[bytes] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(leaf) for leaf in self.leaves]

    def leaves_about(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for event in self.events:
            found.setdefault(event["digest"], []).append(event)
        return found


def checkpoint_covering(
    exchange: Exchange, reports: list[dict[str, Any]], processes: list[int], timeout: float = 5.0
) -> Tree:
    """Polls `GET /v1/log/checkpoint` on `processes` in turn until a checkpoint signed by the
    hub's key covers both leaves of every report answer in `reports`. Each checkpoint's
    root is recomputed from the leaves it covers, whose `seq` must run 0, 1, 2, … ."""
    wanted = {digest(report) for report in reports}
    tree = Tree()
    deadline = time.monotonic() + timeout
    for turn in itertools.count():  # until covered or past the deadline
        auditor = exchange.client("auditor", processes[turn % len(processes)])
        note = auditor.get("/v1/log/checkpoint")
        assert note.status_code == 200, note.text
        _, size, root = independent.open_checkpoint(note.text, exchange.verifier_key)
        assert size >= tree.size, f"the log shrank from {tree.size} to {size}"
        while len(tree.leaves) < size:
            page = auditor.get(
                "/v1/log/entries", params={"start": len(tree.leaves), "end": size}
            ).json()
            assert page["items"], (
                f"the log has a checkpoint of {size} but no leaf {len(tree.leaves)}"
            )
            tree.leaves += [base64.b64decode(item["leaf_input"]) for item in page["items"]]
        if size != tree.size:
            tree.size, tree.root = size, root
            assert sdk.root(map(sdk.leaf_hash, tree.leaves[:size])) == root, (
                f"checkpoint {size}: wrong root"
            )
            assert [event["seq"] for event in tree.events] == list(range(size))
        covered = Counter(event["digest"] for event in tree.events)
        missing = [key for key in wanted if covered[key] < 2]
        if not missing:
            return tree
        if time.monotonic() > deadline:
            raise AssertionError(
                f"after {timeout} s the signed checkpoint ({size} leaves) misses "
                f"{len(missing)} of {len(wanted)} acknowledged reports"
            )
        time.sleep(0.05)
    raise AssertionError("itertools.count() ended")


def logged_once_each(tree: Tree, reports: list[dict[str, Any]], hotline_of: list[str]) -> list[str]:
    """What is wrong with the leaves of each report: exactly one `report.received` and one
    `case.opened` (opener) or `case.joined` (joiner), naming its case and reporter."""
    about = tree.leaves_about()
    wrong = []
    for report, hotline in zip(reports, hotline_of, strict=True):
        opened = "case.opened" if report["case"]["opened"] else "case.joined"
        leaves = sorted((e["type"], e["case"], e["actor"]) for e in about.get(digest(report), []))
        case = report["case"]["id"]
        expected = sorted([("report.received", case, hotline), (opened, case, hotline)])
        if leaves != expected:
            wrong.append(f"{report['id']}: leaves {leaves}")
    return wrong


def prove_inclusion(
    exchange: Exchange, hotline: str, process: int, report: dict[str, Any], tree: Tree
) -> None:
    """As the reporter: find the report's leaves by digest, prove each against the tree."""
    client = exchange.client(hotline, process)
    items = client.get("/v1/log/entries", params={"digest": digest(report)}).json()["items"]
    assert len(items) == 2, items
    for item in items:
        leaf_hash = sdk.leaf_hash(base64.b64decode(item["leaf_input"]))
        proof = client.get(
            "/v1/log/proof/inclusion",
            params={"leaf_hash": base64.b64encode(leaf_hash).decode(), "tree_size": tree.size},
        ).json()
        path = [base64.b64decode(node) for node in proof["proof"]]
        sdk.verify_inclusion(proof["index"], tree.size, leaf_hash, path, tree.root)
