"""The multi-index PDQ matcher finds exactly what a brute-force scan finds, for every
threshold (each layout's probe radius changes with it, and a scan takes over past the
largest), on random and on clustered hashes, across background builds and in batches."""

import threading

import numpy as np
import pytest

from hub.pdq import index as pdq
from hub.pdq.index import IndexMatcher, PdqMatch, ScanMatcher


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


@pytest.mark.parametrize("layout", ["small", "large"])
@pytest.mark.parametrize("shape", ["random", "clustered"])
def test_every_threshold_agrees_with_brute_force(
    shape: str, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdq, "LARGE_INDEX_ROWS", 10**9 if layout == "small" else 0)
    rng = np.random.default_rng(7)
    if shape == "random":
        stored = rng.integers(0, 256, (20_000, 32), dtype=np.uint8)
    else:
        stored = clustered(rng, 400, 50)
    stored = stored[:19_400]
    # A base, a delta over the newer rows, and a tail left unindexed.
    matcher = IndexMatcher(tail_rows=1_000)
    for start, end in ((0, 15_000), (15_000, 18_500), (18_500, 19_400)):
        matcher.add_many([f"cnt_{i}" for i in range(start, end)], stored[start:end])
        matcher.wait_for_builds()
    state = matcher.state()
    assert (state.base.size, state.delta.size, len(matcher)) == (15_000, 3_500, 19_400)
    assert state.base.layout == (pdq.SMALL if layout == "small" else pdq.LARGE)
    queries = [
        near(rng, stored[rng.integers(len(stored))], int(rng.integers(0, 70))) for _ in range(120)
    ]
    queries += [rng.integers(0, 256, 32, dtype=np.uint8).tobytes() for _ in range(10)]
    distances = [distances_to(stored, q) for q in queries]
    found = 0
    # Radius steps: 16 chunks at 16, 32 and 48 (a scan); 11 chunks at 11, 22, 33, 44 (a scan).
    for max_distance in (0, 10, 11, 15, 16, 21, 22, 31, 32, 33, 43, 44, 47, 48, 70):
        expected = [nearest_of(d, max_distance) for d in distances]
        assert matcher.nearest_many(queries, max_distance) == expected
        assert [matcher.nearest(q, max_distance) for q in queries[:20]] == expected[:20]
        found += sum(e is not None for e in expected)
    assert found > 400


@pytest.mark.parametrize("layout", [pdq.SMALL, pdq.LARGE])
def test_the_largest_distance_of_a_radius_is_found_with_bits_in_every_chunk(
    layout: pdq.Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 16 chunks: 31 bits as 1 in one chunk and 2 in each other; 11 chunks: 32 bits as 2
    # in one and 3 in each other. Only the largest radius for that threshold finds it.
    monkeypatch.setattr(pdq, "LARGE_INDEX_ROWS", 10**9 if layout == pdq.SMALL else 0)
    radius = 1 if layout == pdq.SMALL else 2
    bits = np.zeros(256, dtype=np.uint8)
    for chunk in range(layout.chunks):
        start = chunk * layout.width
        bits[start : start + radius + (0 if chunk == 5 else 1)] = 1
    distance = int(bits.sum())
    matcher = IndexMatcher(tail_rows=1)
    matcher.add("cnt_far", b"\xff" * 32)
    matcher.add("cnt_spread", np.packbits(bits).tobytes())
    matcher.wait_for_builds()
    assert matcher.indexed == len(matcher) == 2
    assert matcher.nearest(bytes(32), distance) == PdqMatch("cnt_spread", distance)
    assert matcher.nearest(bytes(32), distance - 1) is None


def test_ties_go_to_the_first_added_across_index_and_tail() -> None:
    matcher = IndexMatcher(tail_rows=3)
    for i in range(2):
        matcher.add(f"cnt_{i}", b"\xff" * 32)
    matcher.add("cnt_indexed", bytes(31) + b"\x07")  # the third: a build follows
    matcher.wait_for_builds()
    matcher.add("cnt_tail", bytes(31) + b"\x70")
    assert matcher.indexed == 3
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


class HeldBuilds:
    """Makes every index build wait until released, to see searches while one runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        build = pdq.ChunkIndex.build.__func__  # type: ignore[attr-defined]

        def held(cls: type[pdq.ChunkIndex], hashes: np.ndarray, first: int) -> pdq.ChunkIndex:
            if len(hashes):
                self.started.set()
                assert self.release.wait(30)
            return build(cls, hashes, first)

        monkeypatch.setattr(pdq.ChunkIndex, "build", classmethod(held))


def test_searches_use_the_old_index_while_a_build_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    stored = rng.integers(0, 256, (3_000, 32), dtype=np.uint8)
    matcher = IndexMatcher(tail_rows=1_000)
    fill(matcher, stored[:2_000])
    matcher.wait_for_builds()
    held = HeldBuilds(monkeypatch)
    matcher.add_many([f"cnt_{i}" for i in range(2_000, 3_000)], stored[2_000:])
    assert held.started.wait(30)  # a build of the new rows is under way, and held
    queries = [near(rng, stored[i], 9) for i in (10, 1_500, 2_500, 2_999)]
    expected = [PdqMatch(f"cnt_{i}", 9) for i in (10, 1_500, 2_500, 2_999)]
    assert matcher.nearest_many(queries, 31) == expected
    assert matcher.indexed == 2_000
    held.release.set()
    assert matcher.wait_for_builds(30)
    assert matcher.indexed == 3_000
    assert matcher.nearest_many(queries, 31) == expected


def test_a_first_load_waits_for_its_build_rather_than_scan_millions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pdq, "MAX_SCAN_ROWS", 500)
    held = HeldBuilds(monkeypatch)
    rng = np.random.default_rng(6)
    stored = rng.integers(0, 256, (2_000, 32), dtype=np.uint8)
    matcher = IndexMatcher(tail_rows=1_000)
    fill(matcher, stored)
    assert held.started.wait(30)
    answers: list[PdqMatch | None] = []
    search = threading.Thread(
        target=lambda: answers.append(matcher.nearest(stored[7].tobytes(), 0))
    )
    search.start()
    search.join(0.5)
    assert search.is_alive() and not answers  # waiting for the build, not scanning
    held.release.set()
    search.join(30)
    assert answers == [PdqMatch("cnt_7", 0)]
    assert matcher.indexed == 2_000
