"""The fast canonical JSON gives exactly the bytes of the RFC 8785 reference encoder."""

import random

import pytest
import rfc8785

from hub.canonical import canonical_json

SAMPLES = [
    {"b": 1, "a": [True, False, None], "c": {"z": "ü", "y": "\u2028", "x": "\x00\x1f\x7f"}},
    {"emoji": "😀 \ud7ff \ue000 \uffff", "tab": "\t\n\r\b\f", "quote": '"\\/'},
    {"n": -(2**53) + 1, "m": 2**53 - 1, "zero": 0},
    {"ключ": "значение", "€": 1, "😀": 2, "\ue000": 3},  # non-ASCII keys take the reference path
    {"f": 1.5, "g": 1e21, "h": -0.0},  # floats take the reference path
    [],
    {},
    "plain",
]


@pytest.mark.parametrize("value", SAMPLES)
def test_matches_the_reference_encoder(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_matches_the_reference_on_random_documents() -> None:
    rng = random.Random(8785)
    alphabet = 'aZ09_-é€😀\x00\x1f"\\/\u2028\ue000'

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    def document(depth: int) -> object:
        kind = rng.randint(0, 5 if depth < 4 else 3)
        if kind == 0:
            return text()
        if kind == 1:
            return rng.randint(-(2**53) + 1, 2**53 - 1)
        if kind == 2:
            return rng.choice([True, False, None])
        if kind == 3:
            return rng.choice(["", "x", "é"])
        if kind == 4:
            return [document(depth + 1) for _ in range(rng.randint(0, 4))]
        return {text(): document(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(2000):
        value = document(0)
        assert canonical_json(value) == rfc8785.dumps(value)
