"""PDQ matching of PROTOCOL 4.1: the closest known hash within the threshold, ties to
the hash seen first, checked against a brute-force reference."""

import random
import threading

import pytest

from hub.pdq.index import PdqMatch, PdqMatcher, ScanMatcher, hamming

THRESHOLD = 31


def flip(pdq: bytes, bits: int, start: int = 0) -> bytes:
    """pdq with `bits` distinct bits flipped, from bit `start` on."""
    value = int.from_bytes(pdq, "big")
    for bit in range(start, start + bits):
        value ^= 1 << bit
    return value.to_bytes(32, "big")


def random_hash(rng: random.Random) -> bytes:
    return rng.getrandbits(256).to_bytes(32, "big")


BASE = bytes.fromhex("f8f8" * 16)


def test_hamming() -> None:
    assert hamming(BASE, BASE) == 0
    assert hamming(BASE, flip(BASE, 31)) == 31
    assert hamming(bytes(32), b"\xff" * 32) == 256
    with pytest.raises(ValueError):
        hamming(bytes(32), bytes(31))


def test_distance_31_matches() -> None:
    matcher: PdqMatcher = ScanMatcher()
    matcher.add("cnt_a", BASE)
    assert matcher.nearest(flip(BASE, 31), THRESHOLD) == PdqMatch("cnt_a", 31)


def test_distance_32_does_not_match() -> None:
    matcher: PdqMatcher = ScanMatcher()
    matcher.add("cnt_a", BASE)
    assert matcher.nearest(flip(BASE, 32), THRESHOLD) is None


def test_identical_hash_matches_at_distance_0() -> None:
    matcher = ScanMatcher()
    matcher.add("cnt_a", BASE)
    assert matcher.nearest(BASE, 0) == PdqMatch("cnt_a", 0)


def test_nearest_of_several_wins() -> None:
    matcher: PdqMatcher = ScanMatcher()
    matcher.add("cnt_far", flip(BASE, 30))
    matcher.add("cnt_near", flip(BASE, 5, start=100))
    matcher.add("cnt_middle", flip(BASE, 12, start=200))
    assert matcher.nearest(BASE, THRESHOLD) == PdqMatch("cnt_near", 5)


def test_tie_goes_to_the_hash_added_first() -> None:
    matcher = ScanMatcher()
    matcher.add("cnt_far", flip(BASE, 20))
    matcher.add("cnt_first", flip(BASE, 7, start=0))
    matcher.add("cnt_second", flip(BASE, 7, start=100))
    matcher.add("cnt_third", flip(BASE, 7, start=200))
    assert matcher.nearest(BASE, THRESHOLD) == PdqMatch("cnt_first", 7)


def test_tie_across_scan_chunks_goes_to_the_first() -> None:
    matcher = ScanMatcher(initial_capacity=1)
    for i in range(40_000):
        matcher.add(f"cnt_{i}", b"\xff" * 32)
    matcher.add("cnt_late", flip(BASE, 3))
    matcher.add("cnt_later", flip(BASE, 3, start=50))
    assert matcher.nearest(BASE, THRESHOLD) == PdqMatch("cnt_late", 3)
    assert matcher.nearest(b"\xff" * 32, 0) == PdqMatch("cnt_0", 0)


def test_empty_matcher_finds_nothing() -> None:
    assert ScanMatcher().nearest(BASE, 256) is None


def test_negative_threshold_finds_nothing() -> None:
    matcher = ScanMatcher()
    matcher.add("cnt_a", BASE)
    assert matcher.nearest(BASE, -1) is None


def test_all_bits_different_is_distance_256() -> None:
    matcher = ScanMatcher()
    matcher.add("cnt_a", bytes(32))
    assert matcher.nearest(b"\xff" * 32, 256) == PdqMatch("cnt_a", 256)
    assert matcher.nearest(b"\xff" * 32, 255) is None


@pytest.mark.parametrize("pdq", [b"", bytes(31), bytes(33)])
def test_hash_of_wrong_length_is_refused(pdq: bytes) -> None:
    matcher = ScanMatcher()
    with pytest.raises(ValueError):
        matcher.add("cnt_a", pdq)
    with pytest.raises(ValueError):
        matcher.nearest(pdq, THRESHOLD)


def test_growth_keeps_every_hash() -> None:
    matcher = ScanMatcher(initial_capacity=1)
    hashes = [flip(bytes(32), 1, start=i) for i in range(256)]
    for i, pdq in enumerate(hashes):
        matcher.add(f"cnt_{i}", pdq)
    assert len(matcher) == 256
    for i, pdq in enumerate(hashes):
        assert matcher.nearest(pdq, 0) == PdqMatch(f"cnt_{i}", 0)


def test_10k_random_hashes_agree_with_brute_force() -> None:
    rng = random.Random(20261124)
    stored = [random_hash(rng) for _ in range(10_000)]
    matcher = ScanMatcher()
    for i, pdq in enumerate(stored):
        matcher.add(f"cnt_{i}", pdq)
    # Queries near stored hashes (so matches exist) and unrelated ones; random 256-bit
    # hashes are ~128 bits apart, so at 110 some unrelated ones match too.
    near = [
        flip(stored[rng.randrange(len(stored))], rng.randrange(60), rng.randrange(190))
        for _ in range(60)
    ]
    unrelated = [random_hash(rng) for _ in range(40)]
    found = 0
    for query in near + unrelated:
        for max_distance in (31, 90, 110):
            expected = brute_force(stored, query, max_distance)
            assert matcher.nearest(query, max_distance) == expected
            found += expected is not None
    assert found > 100


def brute_force(stored: list[bytes], query: bytes, max_distance: int) -> PdqMatch | None:
    best: PdqMatch | None = None
    for i, pdq in enumerate(stored):
        distance = hamming(pdq, query)
        if distance <= max_distance and (best is None or distance < best.distance):
            best = PdqMatch(f"cnt_{i}", distance)
    return best


def test_adds_and_searches_from_several_threads() -> None:
    matcher = ScanMatcher(initial_capacity=1)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        for i in range(2_000):
            matcher.add(f"cnt_{offset}_{i}", flip(bytes(32), 1, start=(offset + i) % 256))

    def reader() -> None:
        try:
            for _ in range(200):
                found = matcher.nearest(bytes(32), 1)
                assert found is None or found.distance == 1
        except BaseException as exc:  # an assert in a thread is lost unless kept
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(matcher) == 6_000
