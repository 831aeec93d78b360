"""Leaf encoding without a database: JCS bytes exactly as the `rfc8785` package makes them,
and the schema that keeps URLs and content hashes out."""

import hashlib
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785

from hub.log.leaves import LeafRejected, canonical_json, encode_leaf

AT = datetime(2026, 11, 24, 9, 30, 0, 123456, tzinfo=UTC)
_CHARS = [
    '"',
    "\\",
    "\n",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "é",
    "\u2028",
    "😀",
    "\ufb01",
    "a",
    "Z",
    "/",
]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 7, 2**53 - 1, -(2**53) + 1, rng.randrange(-(10**12), 10**12)])
    if kind == 3:
        return rng.choice([0.5, 1.0, -0.0, 1e21, 1e-7, 123456789.125, rng.random()])
    if kind in (4, 5):
        return "".join(rng.choice(_CHARS) for _ in range(rng.randrange(6)))
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["b", "a", "é", "😀", "\ufb01", "A", "", "aa", "\x01"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_canonical_json_is_byte_for_byte_rfc8785() -> None:
    rng = random.Random(8785)
    for _ in range(5000):
        value = _random_value(rng)
        assert canonical_json(value) == rfc8785.dumps(value), value


def test_canonical_json_rejects_what_jcs_rejects() -> None:
    for value in ({"x": float("nan")}, {"x": 2**53}, ["\ud800"], {1: "x"}):
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_json(value)


def test_the_leaf_is_jcs_with_fields_in_code_point_order() -> None:
    leaf = encode_leaf(
        7, "referral.status", AT, "NL-MELDPUNT", {"k": 1}, {"status": "removed", "to": None}
    )

    digest = hashlib.sha256(b'{"k":1}').hexdigest()
    assert leaf == (
        b'{"actor":"NL-MELDPUNT","at":"2026-11-24T09:30:00.123456Z",'
        b'"digest":"sha256:' + digest.encode() + b'",'
        b'"seq":7,"status":"removed","type":"referral.status","v":1}'
    )
    assert rfc8785.dumps(json.loads(leaf)) == leaf


@pytest.mark.parametrize(
    ("type", "actor"),
    [("Report.Received", "GB-IWF"), ("report", "GB-IWF"), ("case.opened", "a/b"), ("x.y", "")],
)
def test_type_and_actor_are_codes(type: str, actor: str) -> None:
    with pytest.raises(LeafRejected):
        encode_leaf(0, type, AT, actor, {}, {})
