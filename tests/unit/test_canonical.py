"""The fast canonical JSON gives exactly the bytes of the RFC 8785 reference encoder,
and refuses what the reference refuses."""

import random
from typing import Any

import pytest
import rfc8785

from hub.canonical import canonical_json

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


def test_every_code_point_is_escaped_as_rfc8785_escapes_it() -> None:
    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    value = {"s": every, "each": [every[i : i + 97] for i in range(0, 4096, 97)]}
    assert canonical_json(value) == rfc8785.dumps(value)
