"""The exchange log's Merkle math checked against RFC 9162 section 2.1 itself: a reference
written here from the RFC's recursive definitions and verification steps, and published vectors."""

import hashlib
import random

import pytest

from hub.log import merkle
from hub.log.merkle import ProofError, RootMismatch

# --- Reference, straight from the RFC 9162 text; it shares no code with hub.log.merkle. ---


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(d: list[bytes]) -> bytes:
    """2.1.1: MTH({}) = SHA-256(); MTH({d(0)}) = SHA-256(0x00 || d(0));
    MTH(D_n) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + rfc_mth(d[:k]) + rfc_mth(d[k:]))


def rfc_path(m: int, d: list[bytes]) -> list[bytes]:
    """2.1.3.1: PATH(0, {d(0)}) = {}; PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k,
    PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*rfc_path(m, d[:k]), rfc_mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), rfc_mth(d[:k])]


def rfc_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """2.1.4.1: SUBPROOF(m, D_m, true) = {}; SUBPROOF(m, D_m, false) = {MTH(D_m)};
    for m < n: m <= k gives SUBPROOF(m, D[0:k], b) : MTH(D[k:n]),
    m > k gives SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])."""
    n = len(d)
    if m == n:
        return [] if b else [rfc_mth(d)]
    k = _k(n)
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), rfc_mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), rfc_mth(d[:k])]


def rfc_proof(m: int, d: list[bytes]) -> list[bytes]:
    """2.1.4.1: PROOF(m, D_n) = SUBPROOF(m, D_n, true)."""
    return rfc_subproof(m, d, True)


def rfc_verify_inclusion(
    leaf_index: int, tree_size: int, hash_: bytes, inclusion_path: list[bytes], root_hash: bytes
) -> bool:
    """2.1.3.2, step by step."""
    if leaf_index >= tree_size:  # 1
        return False
    fn, sn = leaf_index, tree_size - 1  # 2
    r = hash_  # 3
    for p in inclusion_path:  # 4
        if sn == 0:  # 4a
            return False
        if fn & 1 or fn == sn:  # 4b
            r = _sha256(b"\x01" + p + r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p)
        fn >>= 1  # 4c
        sn >>= 1
    return sn == 0 and r == root_hash  # 5


def rfc_verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, consistency_path: list[bytes]
) -> bool:
    """2.1.4.2, step by step (for 0 < first < second)."""
    if not consistency_path:  # 1
        return False
    path = list(consistency_path)
    if first & (first - 1) == 0:  # 2: first is an exact power of 2
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1  # 3
    while fn & 1:  # 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # 5
    for c in path[1:]:  # 6
        if sn == 0:  # 6a
            return False
        if fn & 1 or fn == sn:  # 6b
            fr = _sha256(b"\x01" + c + fr)
            sr = _sha256(b"\x01" + c + sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c)
        fn >>= 1  # 6c
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0  # 7


# --- The hub's side: a perfect-node store filled the way the hub appends. ---

ENTRIES = [b'{"seq":%d}' % i + b" " * (i % 3) for i in range(1500)]


class NodeStore:
    """Perfect nodes in a dict, filled leaf by leaf with ``perfect_nodes_for_append``."""

    def __init__(self, entries: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.reads = 0
        for index, entry in enumerate(entries):
            rows = merkle.perfect_nodes_for_append(index, merkle.leaf_hash(entry), self.node)
            for level, node_index, value in rows:
                self.nodes[level, node_index] = value

    def node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.nodes[level, index]

    def range_hash(self, start: int, end: int) -> bytes:
        return merkle.range_hash(start, end, self.node)


STORE = NodeStore(ENTRIES[:130])
SMALL_SIZES = range(1, 41)


def _flip_bit(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# --- Hashes and roots. ---


def test_leaf_and_node_hashes_are_domain_separated_as_rfc_9162_says() -> None:
    left, right = _sha256(b"l"), _sha256(b"r")
    assert merkle.leaf_hash(b"entry") == _sha256(b"\x00entry")
    assert merkle.node_hash(left, right) == _sha256(b"\x01" + left + right)


def test_empty_tree_root_is_sha256_of_the_empty_string() -> None:
    assert merkle.root([]) == merkle.EMPTY_ROOT == _sha256(b"")
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
    hashes = [merkle.leaf_hash(leaf) for leaf in VECTOR_LEAVES]
    store = NodeStore(VECTOR_LEAVES)
    for size, expected in enumerate(VECTOR_ROOTS):
        assert merkle.root(hashes[:size]).hex() == expected
        assert store.range_hash(0, size).hex() == expected
        assert rfc_mth(VECTOR_LEAVES[:size]).hex() == expected


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
    hashes = [merkle.leaf_hash(entry) for entry in ENTRIES[:130]]
    for size in range(131):
        assert merkle.root(hashes[:size]) == rfc_mth(ENTRIES[:size]), size
        assert STORE.range_hash(0, size) == rfc_mth(ENTRIES[:size]), size


@pytest.mark.parametrize("size", [255, 256, 257, 1000, 1023, 1024, 1025, 1500])
def test_root_of_larger_trees_is_the_rfc_merkle_tree_hash(size: int) -> None:
    hashes = [merkle.leaf_hash(entry) for entry in ENTRIES[:size]]
    assert merkle.root(hashes) == rfc_mth(ENTRIES[:size])
    assert merkle.root(tuple(hashes)) == rfc_mth(ENTRIES[:size])


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


# --- Inclusion proofs. ---


def test_inclusion_proof_for_every_leaf_is_the_rfc_path() -> None:
    for size in SMALL_SIZES:
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, STORE.range_hash)
            assert proof == rfc_path(index, ENTRIES[:size]), (index, size)


def test_inclusion_proof_for_every_leaf_verifies() -> None:
    for size in SMALL_SIZES:
        root = rfc_mth(ENTRIES[:size])
        for index in range(size):
            leaf = merkle.leaf_hash(ENTRIES[index])
            proof = merkle.inclusion_proof(index, size, STORE.range_hash)
            merkle.verify_inclusion(index, size, leaf, proof, root)
            assert merkle.root_from_inclusion_proof(index, size, leaf, proof) == root
            assert rfc_verify_inclusion(index, size, leaf, proof, root)


def test_inclusion_proofs_in_a_larger_tree_verify_against_the_rfc_verifier() -> None:
    store = NodeStore(ENTRIES)
    picks = random.Random(9162)
    for _ in range(300):
        size = picks.randint(1, len(ENTRIES))
        index = picks.randrange(size)
        leaf = merkle.leaf_hash(ENTRIES[index])
        root = store.range_hash(0, size)
        proof = merkle.inclusion_proof(index, size, store.range_hash)
        assert rfc_verify_inclusion(index, size, leaf, proof, root)
        merkle.verify_inclusion(index, size, leaf, proof, root)


def test_bit_flipped_inclusion_proofs_are_rejected() -> None:
    for size in range(2, 24):
        root = rfc_mth(ENTRIES[:size])
        for index in range(size):
            leaf = merkle.leaf_hash(ENTRIES[index])
            proof = merkle.inclusion_proof(index, size, STORE.range_hash)
            for position in range(len(proof)):
                for bit in (0, 7, 255):
                    bad = list(proof)
                    bad[position] = _flip_bit(bad[position], bit)
                    with pytest.raises(RootMismatch):
                        merkle.verify_inclusion(index, size, leaf, bad, root)
                    assert not rfc_verify_inclusion(index, size, leaf, bad, root)
            with pytest.raises(RootMismatch):
                merkle.verify_inclusion(index, size, _flip_bit(leaf, 3), proof, root)
            with pytest.raises(RootMismatch):
                merkle.verify_inclusion(index, size, leaf, proof, _flip_bit(root, 200))


def test_truncated_and_extended_inclusion_proofs_are_rejected_before_hashing() -> None:
    extra = _sha256(b"extra")
    for size in SMALL_SIZES:
        root = rfc_mth(ENTRIES[:size])
        for index in range(size):
            leaf = merkle.leaf_hash(ENTRIES[index])
            proof = merkle.inclusion_proof(index, size, STORE.range_hash)
            malformed = [[*proof, extra], [extra, *proof]]
            if proof:
                malformed += [proof[:-1], proof[1:]]
            for bad in malformed:
                with pytest.raises(ProofError, match="hashes, want") as caught:
                    merkle.verify_inclusion(index, size, leaf, bad, root)
                assert not isinstance(caught.value, RootMismatch)
                assert not rfc_verify_inclusion(index, size, leaf, bad, root)


def test_inclusion_proof_does_not_verify_for_another_leaf_index() -> None:
    for size in range(2, 21):
        root = rfc_mth(ENTRIES[:size])
        for index in range(size):
            leaf = merkle.leaf_hash(ENTRIES[index])
            proof = merkle.inclusion_proof(index, size, STORE.range_hash)
            for other in range(size):
                if other != index:
                    with pytest.raises(ProofError):
                        merkle.verify_inclusion(other, size, leaf, proof, root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (6, 5), (-1, 5)])
def test_leaf_index_must_be_below_the_tree_size(index: int, size: int) -> None:
    leaf = merkle.leaf_hash(b"x")
    with pytest.raises(ProofError, match="not below tree size"):
        merkle.verify_inclusion(index, size, leaf, [], merkle.EMPTY_ROOT)
    with pytest.raises(ValueError, match="not below tree size"):
        merkle.subtree_ranges_for_inclusion(index, size)


def test_hashes_of_the_wrong_length_are_rejected() -> None:
    size, index = 5, 2
    leaf = merkle.leaf_hash(ENTRIES[index])
    root = rfc_mth(ENTRIES[:size])
    proof = merkle.inclusion_proof(index, size, STORE.range_hash)
    with pytest.raises(ProofError, match="leaf hash is 31 bytes"):
        merkle.verify_inclusion(index, size, leaf[:31], proof, root)
    with pytest.raises(ProofError, match="root is 33 bytes"):
        merkle.verify_inclusion(index, size, leaf, proof, root + b"\x00")
    with pytest.raises(ProofError, match="proof hash is 0 bytes"):
        merkle.verify_inclusion(index, size, leaf, [proof[0], b"", proof[2]], root)


def test_root_mismatch_reports_expected_and_calculated_roots() -> None:
    leaf = merkle.leaf_hash(b"a")
    sibling = merkle.leaf_hash(b"b")
    wrong = _sha256(b"not the root")
    with pytest.raises(RootMismatch) as caught:
        merkle.verify_inclusion(0, 2, leaf, [sibling], wrong)
    assert caught.value.expected == wrong
    assert caught.value.calculated == merkle.node_hash(leaf, sibling)
    assert isinstance(caught.value, ValueError)


# --- Consistency proofs. ---


def test_consistency_proof_for_every_pair_of_sizes_is_the_rfc_proof() -> None:
    for second in SMALL_SIZES:
        for first in range(1, second):
            proof = merkle.consistency_proof(first, second, STORE.range_hash)
            assert proof == rfc_proof(first, ENTRIES[:second]), (first, second)


def test_consistency_proof_for_every_pair_of_sizes_verifies() -> None:
    for second in SMALL_SIZES:
        second_root = rfc_mth(ENTRIES[:second])
        for first in range(1, second):
            first_root = rfc_mth(ENTRIES[:first])
            proof = merkle.consistency_proof(first, second, STORE.range_hash)
            merkle.verify_consistency(first, second, proof, first_root, second_root)
            assert (
                merkle.root_from_consistency_proof(first, second, proof, first_root) == second_root
            )
            assert rfc_verify_consistency(first, second, first_root, second_root, proof)


def test_consistency_proofs_in_a_larger_tree_verify_against_the_rfc_verifier() -> None:
    store = NodeStore(ENTRIES)
    picks = random.Random(6962)
    for _ in range(300):
        second = picks.randint(2, len(ENTRIES))
        first = picks.randint(1, second - 1)
        first_root, second_root = store.range_hash(0, first), store.range_hash(0, second)
        proof = merkle.consistency_proof(first, second, store.range_hash)
        assert rfc_verify_consistency(first, second, first_root, second_root, proof)
        merkle.verify_consistency(first, second, proof, first_root, second_root)


def test_consistency_between_equal_sizes_is_an_empty_proof_of_equal_roots() -> None:
    for size in SMALL_SIZES:
        root = rfc_mth(ENTRIES[:size])
        assert merkle.consistency_proof(size, size, STORE.range_hash) == []
        merkle.verify_consistency(size, size, [], root, root)
        with pytest.raises(RootMismatch):
            merkle.verify_consistency(size, size, [], root, _flip_bit(root, 9))
        with pytest.raises(ProofError, match="must be empty"):
            merkle.verify_consistency(size, size, [root], root, root)


def test_bit_flipped_consistency_proofs_are_rejected() -> None:
    for second in range(2, 24):
        second_root = rfc_mth(ENTRIES[:second])
        for first in range(1, second):
            first_root = rfc_mth(ENTRIES[:first])
            proof = merkle.consistency_proof(first, second, STORE.range_hash)
            for position in range(len(proof)):
                for bit in (0, 100, 255):
                    bad = list(proof)
                    bad[position] = _flip_bit(bad[position], bit)
                    with pytest.raises(RootMismatch):
                        merkle.verify_consistency(first, second, bad, first_root, second_root)
                    assert not rfc_verify_consistency(first, second, first_root, second_root, bad)
            for bad_first, bad_second in [
                (_flip_bit(first_root, 1), second_root),
                (first_root, _flip_bit(second_root, 1)),
                (second_root, first_root),
            ]:
                with pytest.raises(RootMismatch):
                    merkle.verify_consistency(first, second, proof, bad_first, bad_second)
                assert not rfc_verify_consistency(first, second, bad_first, bad_second, proof)


def test_truncated_and_extended_consistency_proofs_are_rejected_before_hashing() -> None:
    extra = _sha256(b"extra")
    for second in SMALL_SIZES:
        second_root = rfc_mth(ENTRIES[:second])
        for first in range(1, second):
            first_root = rfc_mth(ENTRIES[:first])
            proof = merkle.consistency_proof(first, second, STORE.range_hash)
            for bad in (proof[:-1], proof[1:], [*proof, extra], [extra, *proof]):
                with pytest.raises(ProofError, match="hashes, want") as caught:
                    merkle.verify_consistency(first, second, bad, first_root, second_root)
                assert not isinstance(caught.value, RootMismatch)
                assert not rfc_verify_consistency(first, second, first_root, second_root, bad)


def test_consistency_proof_for_other_sizes_is_rejected() -> None:
    for second in range(3, 21):
        second_root = rfc_mth(ENTRIES[:second])
        for first in range(1, second):
            proof = merkle.consistency_proof(first, second, STORE.range_hash)
            for other in range(1, second):
                if other != first:
                    with pytest.raises(ProofError):
                        merkle.verify_consistency(
                            other, second, proof, rfc_mth(ENTRIES[:other]), second_root
                        )


def test_first_root_mismatch_is_reported_as_the_first_root() -> None:
    first_root, second_root = rfc_mth(ENTRIES[:3]), rfc_mth(ENTRIES[:7])
    proof = merkle.consistency_proof(3, 7, STORE.range_hash)
    wrong = _flip_bit(first_root, 0)
    with pytest.raises(RootMismatch, match="first root") as caught:
        merkle.verify_consistency(3, 7, proof, wrong, second_root)
    assert caught.value.expected == wrong
    assert caught.value.calculated == first_root


@pytest.mark.parametrize(("first", "second"), [(0, 5), (6, 5), (-1, 3)])
def test_consistency_needs_a_non_empty_first_tree_no_larger_than_the_second(
    first: int, second: int
) -> None:
    root = rfc_mth(ENTRIES[:5])
    with pytest.raises(ProofError):
        merkle.verify_consistency(first, second, [root], merkle.EMPTY_ROOT, root)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.subtree_ranges_for_consistency(first, second)


def test_consistency_proof_hashes_of_the_wrong_length_are_rejected() -> None:
    first_root, second_root = rfc_mth(ENTRIES[:3]), rfc_mth(ENTRIES[:7])
    proof = merkle.consistency_proof(3, 7, STORE.range_hash)
    with pytest.raises(ProofError, match="proof hash is 16 bytes"):
        merkle.verify_consistency(3, 7, [proof[0][:16], *proof[1:]], first_root, second_root)
    with pytest.raises(ProofError, match="first root is 0 bytes"):
        merkle.verify_consistency(3, 7, proof, b"", second_root)
    with pytest.raises(ProofError, match="second root is 64 bytes"):
        merkle.verify_consistency(3, 7, proof, first_root, second_root * 2)


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
            assert STORE.range_hash(start, end) == rfc_mth(ENTRIES[start:end])


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
        (level, index): rfc_mth(ENTRIES[index << level : (index + 1) << level])
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
        return rfc_mth(ENTRIES[start:end])

    proof = merkle.consistency_proof(6, 13, get_range_hash)
    assert requested == merkle.subtree_ranges_for_consistency(6, 13) == [
        (4, 6), (6, 8), (0, 4), (8, 13)
    ]  # fmt: skip
    assert proof == rfc_proof(6, ENTRIES[:13])
