"""Writes inclusion.json and consistency.json next to this file: RFC 9162 proofs in trees of
1 to 40 leaves and broken copies of them, each case saying whether it verifies and why not.

The reference below is section 2.1's recursive MTH, PATH and SUBPROOF written as plainly as
the RFC states them. It shares no code with the hub's prover or the SDK's verifier, and the
tests use it wherever they need the RFC's answer. Run it once to write the files again:

    .venv/bin/python -m tests.log.vectors.generate
"""

import base64
import hashlib
import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
LARGEST = 40
EVERY_INDEX_UP_TO = 16  # trees up to this size get every index and every pair of sizes
EVERY_BREAKAGE_UP_TO = 6  # and up to this size every broken copy of every proof
# The leaf inputs; one past the largest tree, for cases that claim a size one too large.
LEAVES = [b""] + [b"leaf %d" % i for i in range(1, LARGEST + 1)]
EXTRA = hashlib.sha256(b"one hash too many").digest()


# --- RFC 9162 section 2.1, literally. ---


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(d: bytes) -> bytes:
    """2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return sha256(b"\x00" + d)


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """2.1.1: MTH({}) = SHA-256(); MTH(D_n) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hash(d[0])
    k = _k(n)
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    """2.1.3.1: PATH(0, {d(0)}) = {}; PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n]) for
    m < k, PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """2.1.4.1: SUBPROOF(m, D_m, true) = {}; SUBPROOF(m, D_m, false) = {MTH(D_m)}; for
    m < n, m <= k gives SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) and m > k gives
    SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    """2.1.4.1: PROOF(m, D_n) = SUBPROOF(m, D_n, true), for 0 < m <= n."""
    return subproof(m, d, True)


# --- What a verifier must say about a case: the first thing wrong with it. ---


def inclusion_error(index: int, size: int, hashes: list[bytes]) -> str:
    if not 0 <= index < size:
        return "index_beyond_size"
    if len(hashes) != len(path(index, LEAVES[:size])):
        return "wrong_proof_size"
    return "root_mismatch"


def consistency_error(first: int, second: int, hashes: list[bytes]) -> str:
    if not 0 <= first <= second:
        return "sizes_out_of_order"
    # Every tree extends the empty one: that proof is empty, like the one between equal sizes.
    wanted = 0 if first == 0 else len(proof(first, LEAVES[:second]))
    if len(hashes) != wanted:
        return "wrong_proof_size"
    return "root_mismatch"


# --- The cases. ---


def flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8 % len(value)] ^= 1 << (bit % 8)
    return bytes(flipped)


def sampled(size: int, picks: random.Random) -> list[int]:
    """The positions (0 to size - 1) whose proofs a tree of `size` leaves gets: all of them
    in small trees, else both ends, both sides of the largest power of two, two at random."""
    if size <= EVERY_INDEX_UP_TO:
        return list(range(size))
    k = _k(size)
    chosen = {0, 1, k - 1, k, size - 2, size - 1, *picks.sample(range(size), 2)}
    return sorted(chosen)


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def b64s(values: list[bytes]) -> list[str]:
    return [b64(value) for value in values]


def inclusion_case(
    what: str, index: int, size: int, leaf: bytes, hashes: list[bytes], root: bytes, error: str
) -> dict[str, Any]:
    case: dict[str, Any] = {"what": what, "index": index, "size": size, "leaf_hash": b64(leaf)}
    case |= {"proof": b64s(hashes), "root": b64(root), "verifies": not error}
    return case | ({"error": error} if error else {})


def inclusion_breakages(
    index: int, size: int, leaf: bytes, hashes: list[bytes], root: bytes, turn: int
) -> list[dict[str, Any]]:
    """Broken copies of one valid case: all of them in small trees, else two in turn."""
    broken: list[tuple[str, int, int, bytes, list[bytes], bytes]] = []
    for position in range(len(hashes)):
        bit = (37 * position + 11 * index) % 256
        bad = [*hashes[:position], flip(hashes[position], bit), *hashes[position + 1 :]]
        broken.append((f"proof[{position}] bit {bit} flipped", index, size, leaf, bad, root))
    broken += [
        ("leaf hash bit flipped", index, size, flip(leaf, index), hashes, root),
        ("root bit flipped", index, size, leaf, hashes, flip(root, 255 - index)),
        ("one hash appended", index, size, leaf, [*hashes, EXTRA], root),
        ("one hash prepended", index, size, leaf, [EXTRA, *hashes], root),
        # A wrong size comes with that size's root: a root of another size proves nothing.
        ("claims size + 1", index, size + 1, leaf, hashes, mth(LEAVES[: size + 1])),
        ("claims size - 1", index, size - 1, leaf, hashes, mth(LEAVES[: size - 1])),
    ]
    if hashes:
        broken += [
            ("last hash dropped", index, size, leaf, hashes[:-1], root),
            ("first hash dropped", index, size, leaf, hashes[1:], root),
        ]
    if len(hashes) > 1:
        broken.append(("empty proof", index, size, leaf, [], root))
    if size > 1:
        broken.append(("claims the next index", (index + 1) % size, size, leaf, hashes, root))
    if size > EVERY_BREAKAGE_UP_TO:
        broken = [broken[(turn + step) % len(broken)] for step in range(0, len(broken), 5)][:2]
    return [
        inclusion_case(what, i, n, leaf_value, bad, root_value, inclusion_error(i, n, bad))
        for what, i, n, leaf_value, bad, root_value in broken
    ]


def inclusion_cases() -> list[dict[str, Any]]:
    picks = random.Random(9162)
    cases: list[dict[str, Any]] = []
    turn = 0
    for size in range(1, LARGEST + 1):
        root = mth(LEAVES[:size])
        for index in sampled(size, picks):
            leaf = leaf_hash(LEAVES[index])
            hashes = path(index, LEAVES[:size])
            cases.append(inclusion_case("valid", index, size, leaf, hashes, root, ""))
            cases += inclusion_breakages(index, size, leaf, hashes, root, turn)
            turn += 1
    leaf, root = leaf_hash(LEAVES[0]), mth(LEAVES[:5])
    hashes = path(2, LEAVES[:5])
    return [
        *cases,
        inclusion_case("empty tree", 0, 0, leaf, [], sha256(b""), "index_beyond_size"),
        inclusion_case("negative index", -1, 5, leaf, hashes, root, "index_beyond_size"),
        inclusion_case("index equal to size", 5, 5, leaf, hashes, root, "index_beyond_size"),
        inclusion_case("short leaf hash", 2, 5, leaf[:31], hashes, root, "wrong_hash_size"),
        inclusion_case("long root", 2, 5, leaf, hashes, root + b"\x00", "wrong_hash_size"),
        inclusion_case(
            "empty proof hash", 2, 5, leaf, [hashes[0], b"", hashes[2]], root, "wrong_hash_size"
        ),
    ]


def consistency_case(
    what: str, first: int, second: int, hashes: list[bytes], roots: tuple[bytes, bytes], error: str
) -> dict[str, Any]:
    case: dict[str, Any] = {"what": what, "first": first, "second": second}
    case |= {"proof": b64s(hashes), "first_root": b64(roots[0]), "second_root": b64(roots[1])}
    return case | {"verifies": not error} | ({"error": error} if error else {})


def consistency_breakages(
    first: int, second: int, hashes: list[bytes], roots: tuple[bytes, bytes], turn: int
) -> list[dict[str, Any]]:
    """Broken copies of one valid case between different sizes, as for inclusion."""
    first_root, second_root = roots
    broken: list[tuple[str, int, int, list[bytes], tuple[bytes, bytes]]] = []
    for position in range(len(hashes)):
        bit = (37 * position + 11 * first) % 256
        bad = [*hashes[:position], flip(hashes[position], bit), *hashes[position + 1 :]]
        broken.append((f"proof[{position}] bit {bit} flipped", first, second, bad, roots))
    broken += [
        ("first root bit flipped", first, second, hashes, (flip(first_root, first), second_root)),
        ("second root bit flipped", first, second, hashes, (first_root, flip(second_root, 7))),
        ("one hash appended", first, second, [*hashes, EXTRA], roots),
        ("one hash prepended", first, second, [EXTRA, *hashes], roots),
        ("last hash dropped", first, second, hashes[:-1], roots),
        ("first hash dropped", first, second, hashes[1:], roots),
        # A wrong size comes with that size's root, as for inclusion.
        ("claims first + 1", first + 1, second, hashes, (mth(LEAVES[: first + 1]), second_root)),
        ("claims first - 1", first - 1, second, hashes, (mth(LEAVES[: first - 1]), second_root)),
        ("claims second + 1", first, second + 1, hashes, (first_root, mth(LEAVES[: second + 1]))),
        ("claims second - 1", first, second - 1, hashes, (first_root, mth(LEAVES[: second - 1]))),
        ("sizes swapped", second, first, hashes, roots),
    ]
    if len(hashes) > 1:
        broken.append(("empty proof", first, second, [], roots))
    if second > EVERY_BREAKAGE_UP_TO:
        broken = [broken[(turn + step) % len(broken)] for step in range(0, len(broken), 5)][:2]
    return [
        consistency_case(what, m, n, bad, pair, consistency_error(m, n, bad))
        for what, m, n, bad, pair in broken
    ]


def consistency_cases() -> list[dict[str, Any]]:
    picks = random.Random(6962)
    roots = [mth(LEAVES[:size]) for size in range(LARGEST + 1)]
    cases: list[dict[str, Any]] = []
    turn = 0
    for second in range(1, LARGEST + 1):
        for first in [m + 1 for m in sampled(second, picks)]:
            pair = (roots[first], roots[second])
            hashes = proof(first, LEAVES[:second])
            cases.append(consistency_case("valid", first, second, hashes, pair, ""))
            if first == second:
                wrong = (roots[first], roots[first - 1])
                cases += [
                    consistency_case("one hash", first, second, [EXTRA], pair, "wrong_proof_size"),
                    consistency_case("other root", first, second, [], wrong, "root_mismatch"),
                ]
            else:
                cases += consistency_breakages(first, second, hashes, pair, turn)
            turn += 1
    empty, five = roots[0], roots[5]
    hashes = proof(3, LEAVES[:7])
    three_seven = (roots[3], roots[7])
    return [
        *cases,
        consistency_case("empty trees", 0, 0, [], (empty, empty), ""),
        consistency_case("empty tree to 5", 0, 5, [], (empty, five), ""),
        consistency_case("empty trees, other root", 0, 0, [], (empty, five), "root_mismatch"),
        consistency_case("empty tree, not its root", 0, 0, [], (five, five), "root_mismatch"),
        consistency_case("empty tree to 5, one hash", 0, 5, [five], (empty, five), "wrong_proof_size"),
        consistency_case("empty tree to 5, not its root", 0, 5, [], (roots[1], five), "root_mismatch"),
        consistency_case("negative first size", -1, 5, [], (empty, five), "sizes_out_of_order"),
        consistency_case("second below first", 5, 4, [], (five, roots[4]), "sizes_out_of_order"),
        consistency_case("short first root", 3, 7, hashes, (roots[3][:31], roots[7]), "wrong_hash_size"),
        consistency_case("long second root", 3, 7, hashes, (roots[3], roots[7] * 2), "wrong_hash_size"),
        consistency_case("empty proof hash", 3, 7, [b"", *hashes[1:]], three_seven, "wrong_hash_size"),
    ]  # fmt: skip


def write(name: str, about: str, cases: list[dict[str, Any]]) -> None:
    """One case a line, so a change to the generator shows as a readable diff."""
    lines = ",\n".join(json.dumps(case, separators=(",", ":")) for case in cases)
    head = json.dumps({"about": about, "leaves": b64s(LEAVES)}, indent=1)[:-2]
    (HERE / name).write_text(f'{head},\n "cases": [\n{lines}\n]}}\n')


def main() -> None:
    source = "written by tests/log/vectors/generate.py from RFC 9162 section 2.1"
    write(
        "inclusion.json",
        f"Inclusion proofs {source}: leaf_hash at index of a tree of size leaves with root. "
        "error, for a case that must not verify, is the first thing wrong with it: "
        "index_beyond_size, wrong_hash_size, wrong_proof_size or root_mismatch.",
        inclusion_cases(),
    )
    write(
        "consistency.json",
        f"Consistency proofs {source}: the tree first_root of first leaves is a prefix of "
        "the tree second_root of second leaves; from size 0 the proof is empty and the "
        "first root the empty tree's. error, for a case that must not verify, is the first "
        "thing wrong with it: sizes_out_of_order, wrong_hash_size, wrong_proof_size or "
        "root_mismatch.",
        consistency_cases(),
    )


if __name__ == "__main__":
    main()
