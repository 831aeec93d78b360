"""The multi-index PDQ matcher finds exactly what a brute-force scan finds, for every
threshold (the probe radius changes at 16 and 32, the scan takes over at 48), on random
and on clustered hashes, across index rebuilds and in batches."""

import numpy as np
import pytest

from hub.matching.pdq import IndexMatcher, PdqMatch, ScanMatcher, as_rows


def distances_to(stored: np.ndarray, query: bytes) -> np.ndarray:
    return np.unpackbits(stored ^ np.frombuffer(query, dtype=np.uint8), axis=1).sum(axis=1)


def nearest_of(distances: np.ndarray, max_distance: int) -> PdqMatch | None:
    row = int(distances.argmin())  # argmin keeps the first of equal minima
    return PdqMatch(f"cnt_{row}", int(distances[row])) if distances[row] <= max_distance else None


def near(rng: np.random.Generator, pdq: np.ndarray, bits: int) -> bytes:
    flipped = np.unpackbits(pdq.copy())
    flipped[rng.choice(256, size=bits, replace=False)] ^= 1
    return np.packbits(flipped).tobytes()


def clustered(rng: np.random.Generator, families: int, size: int) -> np.ndarray:
    """Families of near-duplicates (up to 20 bits from their centre), as real PDQ data has."""
    centres = rng.integers(0, 256, (families, 32), dtype=np.uint8)
    members = [
        np.frombuffer(near(rng, c, int(rng.integers(0, 21))), np.uint8)
        for c in centres
        for _ in range(size)
    ]
    return np.array(members)


def fill(matcher: IndexMatcher, stored: np.ndarray) -> None:
    matcher.add_many([f"cnt_{i}" for i in range(len(stored))], stored)


@pytest.mark.parametrize("shape", ["random", "clustered"])
def test_every_threshold_agrees_with_brute_force(shape: str) -> None:
    rng = np.random.default_rng(7)
    if shape == "random":
        stored = rng.integers(0, 256, (20_000, 32), dtype=np.uint8)
    else:
        stored = clustered(rng, 400, 50)
    matcher = IndexMatcher(tail_rows=5_000)  # several rebuilds, and a tail left unindexed
    fill(matcher, stored)
    queries = [
        near(rng, stored[rng.integers(len(stored))], int(rng.integers(0, 70))) for _ in range(120)
    ]
    queries += [rng.integers(0, 256, 32, dtype=np.uint8).tobytes() for _ in range(10)]
    distances = [distances_to(stored, q) for q in queries]
    found = 0
    for max_distance in (0, 10, 15, 16, 31, 32, 47, 48, 70):
        expected = [nearest_of(d, max_distance) for d in distances]
        assert matcher.nearest_many(queries, max_distance) == expected
        assert [matcher.nearest(q, max_distance) for q in queries[:20]] == expected[:20]
        found += sum(e is not None for e in expected)
    assert found > 400


def test_distance_31_is_found_in_every_chunk_pattern() -> None:
    # 31 bits spread as 1 in one chunk and 2 in each other: only the radius-1 probe finds it.
    base = bytes(32)
    matcher = IndexMatcher(tail_rows=1)
    matcher.add("cnt_far", b"\xff" * 32)
    bits = np.zeros(256, dtype=np.uint8)
    for chunk in range(16):
        bits[chunk * 16 : chunk * 16 + (1 if chunk == 5 else 2)] = 1
    stored = np.packbits(bits).tobytes()
    matcher.add("cnt_spread", stored)
    assert len(matcher) == 2
    assert matcher.nearest(base, 31) == PdqMatch("cnt_spread", 31)
    assert matcher.nearest(base, 30) is None


def test_ties_go_to_the_first_added_across_index_and_tail() -> None:
    matcher = IndexMatcher(tail_rows=3)
    for i in range(3):
        matcher.add(f"cnt_{i}", b"\xff" * 32)  # indexed once the third arrives
    matcher.add("cnt_indexed", as_rows([bytes(31) + b"\x07"])[0].tobytes())
    matcher.add("cnt_tail", bytes(31) + b"\x70")
    assert matcher.nearest(bytes(32), 31) == PdqMatch("cnt_indexed", 3)


def test_the_scan_and_the_index_agree_on_a_batch_with_repeats() -> None:
    rng = np.random.default_rng(3)
    stored = clustered(rng, 50, 20)
    index, scan = IndexMatcher(tail_rows=100), ScanMatcher()
    fill(index, stored)
    fill(scan, stored)
    queries = [near(rng, stored[i % 50 * 20], 12) for i in range(300)]
    assert index.nearest_many(queries, 31) == scan.nearest_many(queries, 31)


def test_content_ids_longer_than_the_first_ones_are_kept_whole() -> None:
    matcher = IndexMatcher(initial_capacity=1)
    matcher.add("c", bytes(32))
    matcher.add("cnt_" + "x" * 36, b"\xff" * 32)
    assert matcher.nearest(b"\xff" * 32, 0) == PdqMatch("cnt_" + "x" * 36, 0)
    assert matcher.nearest(bytes(32), 0) == PdqMatch("c", 0)


def test_an_empty_batch_and_a_bad_hash() -> None:
    matcher = IndexMatcher()
    assert matcher.nearest_many([], 31) == []
    with pytest.raises(ValueError):
        matcher.nearest_many([bytes(32), bytes(5)], 31)
    with pytest.raises(ValueError):
        matcher.add_many(["cnt_a"], np.zeros((1, 31), dtype=np.uint8))
