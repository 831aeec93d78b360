"""The hub's Merkle math (hashes, stored perfect nodes, the proofs made from them) checked
against RFC 9162 section 2.1's recursive definitions (tests/log/vectors/generate.py) and
published vectors; what the SDK's verifier says of its proofs is test_proof_vectors.py."""

import hashlib
import random

import pytest

from clients import audit
from hub.log import merkle
from tests.log.node_store import NodeStore
from tests.log.vectors.generate import mth, path, proof

ENTRIES = [b'{"seq":%d}' % i + b" " * (i % 3) for i in range(1500)]
STORE = NodeStore(ENTRIES[:130])
LARGE = NodeStore(ENTRIES)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- Hashes and roots. ---


def test_leaf_and_node_hashes_are_domain_separated_as_rfc_9162_says() -> None:
    left, right = _sha256(b"l"), _sha256(b"r")
    assert merkle.leaf_hash(b"entry") == _sha256(b"\x00entry")
    assert merkle.node_hash(left, right) == _sha256(b"\x01" + left + right)


def test_empty_tree_root_is_sha256_of_the_empty_string() -> None:
    assert STORE.range_hash(0, 0) == merkle.EMPTY_ROOT == _sha256(b"")
    assert merkle.EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


# transparency-dev/merkle testonly/constants.go: LeafInputs and RootHashes.
VECTOR_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
VECTOR_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_roots_match_the_published_rfc_6962_vectors() -> None:
    store = NodeStore(VECTOR_LEAVES)
    for size, expected in enumerate(VECTOR_ROOTS):
        assert store.range_hash(0, size).hex() == expected
        assert mth(VECTOR_LEAVES[:size]).hex() == expected


def test_appended_perfect_nodes_match_the_published_node_hashes() -> None:
    expected_levels = [
        ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
         "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
         "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
         "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
         "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
         "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
         "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"],
        ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
         "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
         "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"],
        ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
        ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ]  # fmt: skip
    store = NodeStore(VECTOR_LEAVES)
    expected = {
        (level, index): bytes.fromhex(value)
        for level, values in enumerate(expected_levels)
        for index, value in enumerate(values)
    }
    assert store.nodes == expected


def test_root_is_the_rfc_merkle_tree_hash_for_every_size_up_to_130() -> None:
    for size in range(131):
        assert STORE.range_hash(0, size) == mth(ENTRIES[:size]), size


@pytest.mark.parametrize("size", [255, 256, 257, 1000, 1023, 1024, 1025, 1500])
def test_root_of_larger_trees_is_the_rfc_merkle_tree_hash(size: int) -> None:
    assert LARGE.range_hash(0, size) == mth(ENTRIES[:size])


def test_subtree_hashes_match_the_merkle_tree_certificates_vector() -> None:
    # draft-ietf-plants-merkle-tree-certs "Subtree Test Vectors": leaves 0x00..0x81, every
    # [start, end) with start a multiple of bit_ceil(end - start), folded into one SHA-256.
    store = NodeStore([bytes([i]) for i in range(130)])
    rolling = hashlib.sha256()
    for end in range(1, 131):
        for start in range(end):
            bit_ceil = 1 << (end - start - 1).bit_length()
            if start % bit_ceil:
                continue
            line = f"[{start}, {end}) {store.range_hash(start, end).hex()}\n"
            rolling.update(line.encode())
    assert rolling.hexdigest() == (
        "94a95384a8c69acea9b50d035a58285b3a777cb7a724005faa5e1f1e1190007f"
    )


# --- Proofs in trees larger than the vectors'. ---


def test_inclusion_proofs_in_a_larger_tree_are_the_rfc_path_and_verify() -> None:
    picks = random.Random(9162)
    for _ in range(100):
        size = picks.randint(41, len(ENTRIES))
        index = picks.randrange(size)
        hashes = merkle.inclusion_proof(index, size, LARGE.range_hash)
        assert hashes == path(index, ENTRIES[:size]), (index, size)
        leaf = merkle.leaf_hash(ENTRIES[index])
        audit.verify_inclusion(index, size, leaf, hashes, LARGE.range_hash(0, size))


def test_consistency_proofs_in_a_larger_tree_are_the_rfc_proof_and_verify() -> None:
    picks = random.Random(6962)
    for _ in range(100):
        second = picks.randint(41, len(ENTRIES))
        first = picks.randint(1, second)
        hashes = merkle.consistency_proof(first, second, LARGE.range_hash)
        assert hashes == proof(first, ENTRIES[:second]), (first, second)
        first_root, second_root = LARGE.range_hash(0, first), LARGE.range_hash(0, second)
        audit.verify_consistency(first, second, hashes, first_root, second_root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (6, 5), (-1, 5)])
def test_no_inclusion_proof_for_a_leaf_beyond_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="not below tree size"):
        merkle.subtree_ranges_for_inclusion(index, size)


@pytest.mark.parametrize(("first", "second"), [(0, 5), (6, 5), (-1, 3)])
def test_no_consistency_proof_from_the_empty_tree_or_a_larger_one(first: int, second: int) -> None:
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.subtree_ranges_for_consistency(first, second)


# --- Storage independence: perfect nodes, ranges and appends. ---


def test_perfect_subtrees_tile_a_range_left_to_right_with_aligned_nodes() -> None:
    for end in range(0, 71):
        for start in range(end + 1):
            nodes = merkle.perfect_subtrees(start, end)
            position = start
            for level, index in nodes:
                assert index << level == position, (start, end, nodes)
                position += 1 << level
            assert position == end
            assert len(nodes) <= 2 * max(1, (end - start).bit_length())


def test_perfect_subtrees_of_a_right_border_range_are_its_binary_digits() -> None:
    assert merkle.perfect_subtrees(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.perfect_subtrees(8, 13) == [(2, 2), (0, 12)]
    assert merkle.perfect_subtrees(3, 13) == [(0, 3), (2, 1), (2, 2), (0, 12)]
    assert merkle.perfect_subtrees(5, 5) == []


def test_range_hash_refuses_ranges_that_are_not_subtrees_of_any_tree() -> None:
    with pytest.raises(ValueError, match="not a subtree"):
        merkle.range_hash(1, 4, STORE.node)
    with pytest.raises(ValueError, match="invalid leaf range"):
        merkle.range_hash(4, 3, STORE.node)
    assert merkle.range_hash(7, 7, STORE.node) == merkle.EMPTY_ROOT


def test_every_range_a_proof_needs_is_a_subtree_with_the_rfc_hash() -> None:
    for second in range(1, 71):
        ranges = [merkle.subtree_ranges_for_inclusion(i, second) for i in range(second)]
        ranges += [merkle.subtree_ranges_for_consistency(f, second) for f in range(1, second + 1)]
        for start, end in (pair for plan in ranges for pair in plan):
            assert STORE.range_hash(start, end) == mth(ENTRIES[start:end])


@pytest.mark.parametrize("size", [2**20, 10**6 + 3, 2**40 - 1, 2**63 + 5])
def test_proofs_in_large_trees_read_logarithmically_many_stored_nodes(size: int) -> None:
    limit = 2 * size.bit_length()
    picks = random.Random(size)
    for _ in range(50):
        index = picks.randrange(size)
        inclusion = merkle.nodes_for_ranges(merkle.subtree_ranges_for_inclusion(index, size))
        consistency = merkle.nodes_for_ranges(
            merkle.subtree_ranges_for_consistency(index + 1, size)
        )
        assert len(inclusion) <= limit
        assert len(consistency) <= limit
        assert all(node << level < size for level, node in inclusion + consistency)


def test_nodes_for_ranges_lists_each_stored_node_once_in_order() -> None:
    assert merkle.nodes_for_ranges([(0, 13), (8, 13), (12, 13)]) == [(3, 0), (2, 2), (0, 12)]


def test_nodes_completed_by_append_climb_one_level_per_trailing_one_bit() -> None:
    assert merkle.nodes_completed_by_append(0) == [(0, 0)]
    assert merkle.nodes_completed_by_append(1) == [(0, 1), (1, 0)]
    assert merkle.nodes_completed_by_append(6) == [(0, 6)]
    assert merkle.nodes_completed_by_append(7) == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert merkle.nodes_completed_by_append(11) == [(0, 11), (1, 5), (2, 2)]
    with pytest.raises(ValueError, match="invalid leaf index"):
        merkle.nodes_completed_by_append(-1)


def test_appending_stores_every_perfect_node_reading_one_sibling_per_new_level() -> None:
    size = 1000
    store = NodeStore(ENTRIES[:size])
    expected = {
        (level, index): mth(ENTRIES[index << level : (index + 1) << level])
        for level in range(size.bit_length())
        for index in range(size >> level)
    }
    assert store.nodes == expected
    # A full tree of 2n - 1 nodes built from n leaves: one read per non-leaf node.
    assert store.reads == len(expected) - size < size
    for index in range(size):
        assert len(merkle.nodes_completed_by_append(index)) <= size.bit_length()


def test_append_rejects_a_leaf_hash_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="leaf hash is 31 bytes"):
        merkle.perfect_nodes_for_append(0, b"\x00" * 31, STORE.node)


def test_proof_assembly_rejects_storage_hashes_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="is 3 bytes"):
        merkle.inclusion_proof(0, 4, lambda start, end: b"bad")


def test_proofs_only_read_ranges_through_the_callable() -> None:
    requested: list[tuple[int, int]] = []

    def get_range_hash(start: int, end: int) -> bytes:
        requested.append((start, end))
        return mth(ENTRIES[start:end])

    hashes = merkle.consistency_proof(6, 13, get_range_hash)
    assert requested == merkle.subtree_ranges_for_consistency(6, 13) == [
        (4, 6), (6, 8), (0, 4), (8, 13)
    ]  # fmt: skip
    assert hashes == proof(6, ENTRIES[:13])
