"""The SDK's RFC 9162 verifier beyond the proof vectors (tests/log/test_proof_vectors.py):
roots of streamed leaves, a resumed compact range, and what each refusal says."""

import pytest

from clients import audit
from clients.audit import CompactRange, ProofError, RootMismatch, WrongProofSize
from tests.clients.tlog import leaf
from tests.log.vectors.generate import mth, path, proof

LEAVES = [leaf(i) for i in range(40)]
HASHES = [audit.leaf_hash(value) for value in LEAVES]


def test_root_matches_the_rfc_definition_for_every_size() -> None:
    for size in range(0, 41):
        assert audit.root(HASHES[:size]) == mth(LEAVES[:size])
    assert audit.root(iter(HASHES)) == mth(LEAVES)


def test_compact_range_resumes_from_a_saved_border() -> None:
    border = CompactRange()
    for value in HASHES[:13]:
        border.append(value)
    resumed = CompactRange(border.size, border.hashes)
    for value in HASHES[13:]:
        resumed.append(value)
    assert resumed.root() == mth(LEAVES)
    with pytest.raises(ProofError, match="a tree of 13 leaves has 3 border hashes"):
        CompactRange(13, border.hashes[:1])
    with pytest.raises(audit.WrongHashSize, match="border hash is 31 bytes"):
        CompactRange(1, [HASHES[0][:31]])


def test_a_proof_of_the_wrong_length_is_refused_before_any_hashing() -> None:
    hashes = path(2, LEAVES[:5])
    with pytest.raises(WrongProofSize) as caught:
        audit.verify_inclusion(2, 5, HASHES[2], hashes[:-1], mth(LEAVES[:5]))
    assert str(caught.value) == "proof has 2 hashes, leaf 2 of a tree of 5 needs 3"
    assert (caught.value.got, caught.value.want) == (2, 3)
    with pytest.raises(WrongProofSize, match="proof has 1 hashes, tree 5 to 5 needs 0"):
        audit.verify_consistency(5, 5, [HASHES[0]], mth(LEAVES[:5]), mth(LEAVES[:5]))
    with pytest.raises(WrongProofSize, match="proof has 0 hashes, tree 3 to 7 needs 4"):
        audit.verify_consistency(3, 7, [], mth(LEAVES[:3]), mth(LEAVES[:7]))


def test_sizes_and_hash_lengths_are_named_in_the_refusal() -> None:
    root = mth(LEAVES[:4])
    with pytest.raises(audit.IndexBeyondSize, match="leaf index 4 is not below tree size 4"):
        audit.verify_inclusion(4, 4, HASHES[0], path(0, LEAVES[:4]), root)
    with pytest.raises(audit.WrongHashSize, match="leaf hash is 31 bytes, not 32"):
        audit.verify_inclusion(0, 4, HASHES[0][:31], path(0, LEAVES[:4]), root)
    with pytest.raises(audit.WrongHashSize, match="proof hash is 31 bytes, not 32"):
        audit.verify_inclusion(0, 4, HASHES[0], [b"x" * 31, *path(0, LEAVES[:4])[1:]], root)
    with pytest.raises(audit.SizesOutOfOrder, match="tree size 4 is smaller than 5"):
        audit.verify_consistency(5, 4, [], mth(LEAVES[:5]), root)


def test_a_root_mismatch_carries_the_expected_and_calculated_roots() -> None:
    wrong = mth(LEAVES[:3])
    with pytest.raises(RootMismatch) as caught:
        audit.verify_inclusion(0, 2, HASHES[0], [HASHES[1]], wrong)
    assert (caught.value.expected, caught.value.calculated) == (wrong, mth(LEAVES[:2]))
    assert str(caught.value) == f"root is {mth(LEAVES[:2]).hex()}, expected {wrong.hex()}"


def test_a_consistency_mismatch_says_which_root_it_is() -> None:
    first_root, second_root = mth(LEAVES[:3]), mth(LEAVES[:7])
    hashes = proof(3, LEAVES[:7])
    with pytest.raises(RootMismatch, match=r"^first root is") as caught:
        audit.verify_consistency(3, 7, hashes, mth(LEAVES[1:4]), second_root)
    assert caught.value.calculated == first_root
    with pytest.raises(RootMismatch, match=r"^second root is") as caught:
        audit.verify_consistency(3, 7, hashes, first_root, mth(LEAVES[:8]))
    assert caught.value.calculated == second_root
    assert audit.root_from_consistency_proof(3, 7, hashes, first_root) == second_root


def test_every_tree_extends_the_empty_one_by_an_empty_proof() -> None:
    audit.verify_consistency(0, 5, [], audit.EMPTY_ROOT, mth(LEAVES[:5]))
    audit.verify_consistency(0, 0, [], audit.EMPTY_ROOT, audit.EMPTY_ROOT)
    with pytest.raises(RootMismatch, match=r"^first root is"):
        audit.verify_consistency(0, 5, [], mth(LEAVES[:1]), mth(LEAVES[:5]))
    with pytest.raises(ProofError, match="no proof from the empty tree leads to the root"):
        audit.root_from_consistency_proof(0, 5, [], audit.EMPTY_ROOT)
