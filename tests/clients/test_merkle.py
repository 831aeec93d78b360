"""The SDK's RFC 9162 verifier against proofs from an independent, literal prover:
every index and size pair of small trees, then bit-flipped, truncated and padded proofs."""

import importlib

import pytest

from clients import audit
from clients.audit import CompactRange, ProofError, RootMismatch
from tests.clients.tlog import leaf, mth, path, proof

LEAVES = [leaf(i) for i in range(40)]
SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40]


def flips(hashes: list[bytes]) -> list[list[bytes]]:
    """Each hash of `hashes` with one bit flipped, one list per position."""
    out = []
    for position, value in enumerate(hashes):
        flipped = bytes([value[0] ^ 0x01]) + value[1:]
        out.append([*hashes[:position], flipped, *hashes[position + 1 :]])
    return out


def test_root_matches_the_rfc_definition_for_every_size() -> None:
    for size in range(0, 41):
        hashes = [audit.leaf_hash(value) for value in LEAVES[:size]]
        assert audit.root(hashes) == mth(LEAVES[:size])


def test_compact_range_resumes_from_a_saved_border() -> None:
    border = CompactRange()
    for value in LEAVES[:13]:
        border.append(audit.leaf_hash(value))
    resumed = CompactRange(border.size, border.hashes)
    for value in LEAVES[13:]:
        resumed.append(audit.leaf_hash(value))
    assert resumed.root() == mth(LEAVES)
    with pytest.raises(ProofError):
        CompactRange(13, border.hashes[:1])


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_verify_and_tampered_ones_do_not(size: int) -> None:
    leaves = LEAVES[:size]
    root = mth(leaves)
    for index in range(size):
        hashes = path(index, leaves)
        leaf_hash = audit.leaf_hash(leaves[index])
        audit.verify_inclusion(index, size, leaf_hash, hashes, root)
        for bad in flips(hashes):
            with pytest.raises(RootMismatch):
                audit.verify_inclusion(index, size, leaf_hash, bad, root)
        if hashes:
            with pytest.raises(ProofError):
                audit.verify_inclusion(index, size, leaf_hash, hashes[:-1], root)
        with pytest.raises(ProofError):
            audit.verify_inclusion(index, size, leaf_hash, [*hashes, root], root)
        with pytest.raises(ProofError):
            audit.verify_inclusion(index, size, audit.leaf_hash(b"other"), hashes, root)
        if size > 1:
            with pytest.raises(ProofError):
                audit.verify_inclusion((index + 1) % size, size, leaf_hash, hashes, root)


def test_inclusion_rejects_impossible_indexes_and_short_hashes() -> None:
    root = mth(LEAVES[:4])
    leaf_hash = audit.leaf_hash(LEAVES[0])
    with pytest.raises(ProofError, match="not below"):
        audit.verify_inclusion(4, 4, leaf_hash, path(0, LEAVES[:4]), root)
    with pytest.raises(ProofError, match="bytes"):
        audit.verify_inclusion(0, 4, leaf_hash[:31], path(0, LEAVES[:4]), root)
    with pytest.raises(ProofError, match="bytes"):
        audit.verify_inclusion(0, 4, leaf_hash, [b"x" * 31, *path(0, LEAVES[:4])[1:]], root)


@pytest.mark.parametrize("second", SIZES)
def test_consistency_proofs_verify_and_tampered_ones_do_not(second: int) -> None:
    leaves = LEAVES[:second]
    second_root = mth(leaves)
    for first in range(1, second + 1):
        first_root = mth(leaves[:first])
        hashes = proof(first, leaves) if first < second else []
        audit.verify_consistency(first, second, hashes, first_root, second_root)
        if first == second:
            with pytest.raises(ProofError):
                audit.verify_consistency(first, second, [first_root], first_root, second_root)
            continue
        for bad in flips(hashes):
            with pytest.raises(ProofError):
                audit.verify_consistency(first, second, bad, first_root, second_root)
        with pytest.raises(ProofError):
            audit.verify_consistency(first, second, hashes[:-1], first_root, second_root)
        with pytest.raises(ProofError):
            audit.verify_consistency(first, second, [*hashes, first_root], first_root, second_root)
        with pytest.raises(RootMismatch):
            audit.verify_consistency(first, second, hashes, first_root, mth(LEAVES[1 : second + 1]))
        with pytest.raises(ProofError):
            audit.verify_consistency(first, second, hashes, mth(LEAVES[1 : first + 1]), second_root)


def test_consistency_edge_cases() -> None:
    root = mth(LEAVES[:5])
    audit.verify_consistency(0, 5, [], audit.EMPTY_ROOT, root)
    with pytest.raises(ProofError, match="smaller"):
        audit.verify_consistency(5, 4, [], root, mth(LEAVES[:4]))
    with pytest.raises(RootMismatch):
        audit.verify_consistency(5, 5, [], root, mth(LEAVES[:4]))
    with pytest.raises(ProofError, match="empty"):
        audit.verify_consistency(3, 5, [], mth(LEAVES[:3]), root)


def test_proofs_of_the_hubs_prover_verify_in_the_sdk() -> None:
    """The hub's prover (hub.log.merkle) and the SDK's verifier agree; the SDK itself
    never imports the hub, this test does."""
    merkle = importlib.import_module("hub.log.merkle")
    leaves = LEAVES[:37]
    hashes = [audit.leaf_hash(value) for value in leaves]

    def range_hash(start: int, end: int) -> bytes:
        return audit.root(hashes[start:end])

    root = audit.root(hashes)
    assert merkle.root(hashes) == root
    for index in range(len(leaves)):
        hub_path = merkle.inclusion_proof(index, len(leaves), range_hash)
        assert hub_path == path(index, leaves)
        audit.verify_inclusion(index, len(leaves), hashes[index], hub_path, root)
    for first in range(1, len(leaves)):
        hub_proof = merkle.consistency_proof(first, len(leaves), range_hash)
        assert hub_proof == proof(first, leaves)
        audit.verify_consistency(first, len(leaves), hub_proof, audit.root(hashes[:first]), root)
