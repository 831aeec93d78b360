"""The proof vectors (tests/log/vectors, written by generate.py from RFC 9162's recursive
definitions) through the hub's prover, which must make exactly the valid proofs, and the
SDK's verifier, which must accept those and refuse each broken one for its reason."""

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clients import audit
from hub.log import merkle
from tests.log.node_store import NodeStore
from tests.log.vectors import generate

VECTORS = Path(generate.__file__).parent
INCLUSION: dict[str, Any] = json.loads((VECTORS / "inclusion.json").read_text())
CONSISTENCY: dict[str, Any] = json.loads((VECTORS / "consistency.json").read_text())
ERRORS: dict[str, type[audit.ProofError]] = {
    "index_beyond_size": audit.IndexBeyondSize,
    "sizes_out_of_order": audit.SizesOutOfOrder,
    "wrong_hash_size": audit.WrongHashSize,
    "wrong_proof_size": audit.WrongProofSize,
    "root_mismatch": audit.RootMismatch,
}


def decode(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def decode_all(values: list[str]) -> list[bytes]:
    return [decode(value) for value in values]


def valid(vectors: dict[str, Any]) -> list[dict[str, Any]]:
    return [case for case in vectors["cases"] if case["verifies"]]


def test_the_vector_files_are_what_the_generator_writes() -> None:
    assert INCLUSION["cases"] == generate.inclusion_cases()
    assert CONSISTENCY["cases"] == generate.consistency_cases()
    assert INCLUSION["leaves"] == CONSISTENCY["leaves"] == generate.b64s(generate.LEAVES)
    sizes = {case["size"] for case in valid(INCLUSION)}
    assert sizes == set(range(1, generate.LARGEST + 1))
    errors = {case.get("error") for case in INCLUSION["cases"] + CONSISTENCY["cases"]}
    assert errors == {None, *ERRORS}


def test_the_hubs_prover_makes_exactly_the_valid_inclusion_proofs() -> None:
    leaves = decode_all(INCLUSION["leaves"])
    store = NodeStore(leaves)
    for case in valid(INCLUSION):
        index, size = case["index"], case["size"]
        assert merkle.leaf_hash(leaves[index]) == decode(case["leaf_hash"])
        assert store.range_hash(0, size) == decode(case["root"])
        proof = merkle.inclusion_proof(index, size, store.range_hash)
        assert proof == decode_all(case["proof"]), (index, size)


def test_the_hubs_prover_makes_exactly_the_valid_consistency_proofs() -> None:
    store = NodeStore(decode_all(CONSISTENCY["leaves"]))
    for case in valid(CONSISTENCY):
        first, second = case["first"], case["second"]
        assert store.range_hash(0, first) == decode(case["first_root"])
        assert store.range_hash(0, second) == decode(case["second_root"])
        if first == 0:  # every tree extends the empty one: the hub refuses to prove it
            with pytest.raises(ValueError, match="no consistency proof"):
                merkle.consistency_proof(first, second, store.range_hash)
            continue
        proof = merkle.consistency_proof(first, second, store.range_hash)
        assert proof == decode_all(case["proof"]), (first, second)


def _name(case: dict[str, Any]) -> str:
    sizes = (
        f"{case['index']}@{case['size']}"
        if "index" in case
        else f"{case['first']}-{case['second']}"
    )
    return f"{sizes}: {case['what']}"


def _answers(case: dict[str, Any], verify: Callable[[], None]) -> None:
    """`verify` passes if the case verifies, else raises exactly the error it names."""
    if case["verifies"]:
        verify()
        return
    with pytest.raises(audit.ProofError) as caught:
        verify()
    assert type(caught.value) is ERRORS[case["error"]], caught.value


@pytest.mark.parametrize("case", INCLUSION["cases"], ids=_name)
def test_the_sdk_verifier_answers_every_inclusion_vector(case: dict[str, Any]) -> None:
    index, size, leaf = case["index"], case["size"], decode(case["leaf_hash"])
    proof, root = decode_all(case["proof"]), decode(case["root"])
    _answers(case, lambda: audit.verify_inclusion(index, size, leaf, proof, root))
    if case["verifies"]:
        assert audit.root_from_inclusion_proof(index, size, leaf, proof) == root


@pytest.mark.parametrize("case", CONSISTENCY["cases"], ids=_name)
def test_the_sdk_verifier_answers_every_consistency_vector(case: dict[str, Any]) -> None:
    first, second, proof = case["first"], case["second"], decode_all(case["proof"])
    first_root, second_root = decode(case["first_root"]), decode(case["second_root"])
    _answers(case, lambda: audit.verify_consistency(first, second, proof, first_root, second_root))
    if not case["verifies"]:
        return
    if first == 0 < second:  # the empty tree's proof leads to no root
        with pytest.raises(audit.ProofError, match="empty tree"):
            audit.root_from_consistency_proof(first, second, proof, first_root)
    else:
        calculated = audit.root_from_consistency_proof(first, second, proof, first_root)
        assert calculated == second_root
