"""PDQ lookup at scale, d <= 31: the hub's IndexMatcher (multi-index hashing) against a
numpy brute-force scan (recall and speed) and faiss IndexBinaryFlat range search.

    .venv/bin/python -m bench.bench_pdq [--sizes 1000000,10000000] [--shapes random,clustered]

For each size and shape: p50/p99 per query and per batch of 1,000, recall against the
scan on the same queries, the memory the index holds, and its build time. Start-up from
a database (bulk read + build, RSS of the process) is bench_pdq_startup's job. faiss is
timed when installed (`pip install faiss-cpu`); the hub does not use it.
"""

import argparse
import statistics
import time

import numpy as np

from hub.pdq.index import IndexMatcher, PdqMatch, ScanMatcher

THRESHOLD = 31
QUERIES = 200
BATCH = 1000
BATCHES = 5
BRUTE_QUERIES = 100


def uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, (n, 32), dtype=np.uint8)


def flip(rng: np.random.Generator, hashes: np.ndarray, max_bits: int) -> np.ndarray:
    """Each row with up to max_bits random bits flipped (a bit may be chosen twice)."""
    bits = np.unpackbits(hashes, axis=1)
    count = rng.integers(0, max_bits + 1, len(hashes))
    for k in range(max_bits):
        rows = np.nonzero(count > k)[0]
        bits[rows, rng.integers(0, 256, len(rows))] ^= 1
    return np.packbits(bits, axis=1)


def clustered(rng: np.random.Generator, n: int) -> np.ndarray:
    """Near-duplicate families (sizes 1..200, long-tailed) up to 16 bits from a centre;
    real PDQ data looks like this, and it fills some index buckets far more than others."""
    sizes = np.minimum(rng.zipf(1.6, n), 200)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    centres = uniform(rng, len(sizes))
    return flip(rng, np.repeat(centres, sizes, axis=0)[:n], 16)


def queries_for(rng: np.random.Generator, stored: np.ndarray, count: int) -> list[bytes]:
    """Half near stored hashes (0..40 bits off: inside and outside the threshold), half new."""
    near = flip(rng, stored[rng.integers(0, len(stored), count // 2)], 40)
    rows = np.concatenate([near, uniform(rng, count - count // 2)])
    return [row.tobytes() for row in rows]


def times_ms(run: list[float]) -> str:
    ordered = sorted(run)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:8.2f} ms  p99 {p99 * 1000:8.2f} ms"


def timed(call, items) -> tuple[list, list[float]]:  # type: ignore[no-untyped-def]
    results, times = [], []
    for item in items:
        start = time.perf_counter()
        results.append(call(item))
        times.append(time.perf_counter() - start)
    return results, times


def held_mb(matcher: IndexMatcher) -> float:
    state = matcher.state()
    arrays = (state.hashes, state.content_ids, *(i.order for i in (state.base, state.delta)))
    tables = (state.base.starts, state.delta.starts)
    return sum(a.nbytes for a in (*arrays, *tables)) / 2**20


def bench(n: int, shape: str, rng: np.random.Generator) -> None:
    stored = uniform(rng, n) if shape == "random" else clustered(rng, n)
    ids = np.array([f"cnt_{i:026d}".encode() for i in range(n)], dtype="S30")
    queries = queries_for(rng, stored, QUERIES)
    batches = [queries_for(rng, stored, BATCH) for _ in range(BATCHES)]
    print(f"\n{n:,} hashes, {shape}")

    matcher = IndexMatcher(initial_capacity=n)
    start = time.perf_counter()
    matcher.add_many(ids, stored)
    matcher.wait_for_builds()
    build = time.perf_counter() - start
    print(f"  IndexMatcher build {build:6.1f} s, holds {held_mb(matcher):7.0f} MB")
    found, single = timed(lambda q: matcher.nearest(q, THRESHOLD), queries)
    print(f"  IndexMatcher  per query        {times_ms(single)}")
    _, batch = timed(lambda b: matcher.nearest_many(b, THRESHOLD), batches)
    rate = BATCH / statistics.median(batch)
    print(f"  IndexMatcher  per batch {BATCH}   {times_ms(batch)}   {rate:7.0f} lookups/s")

    scan = ScanMatcher(initial_capacity=n)
    scan.add_many(ids, stored)
    expected, brute = timed(lambda q: scan.nearest(q, THRESHOLD), queries[:BRUTE_QUERIES])
    print(f"  numpy scan    per query        {times_ms(brute)}   (brute force)")
    recall_check(found[:BRUTE_QUERIES], expected)
    batch_found = matcher.nearest_many(batches[0][:BRUTE_QUERIES], THRESHOLD)
    recall_check(batch_found, scan.nearest_many(batches[0][:BRUTE_QUERIES], THRESHOLD))

    faiss_ms = bench_faiss(stored, queries)
    if faiss_ms is not None:
        print(f"  faiss IndexBinaryFlat range    {times_ms(faiss_ms)}")
        ratio = statistics.median(faiss_ms) / statistics.median(single)
        print(f"  IndexMatcher is x{ratio:.0f} faiss IndexBinaryFlat at the median")


def recall_check(found: list[PdqMatch | None], expected: list[PdqMatch | None]) -> None:
    hits = sum(e is not None for e in expected)
    same = sum(f == e for f, e in zip(found, expected, strict=True) if e is not None)
    wrong = sum(f is not None and e is None for f, e in zip(found, expected, strict=True))
    print(f"  recall vs brute force: {same}/{hits} matches identical, {wrong} extra")


def bench_faiss(stored: np.ndarray, queries: list[bytes]) -> list[float] | None:
    try:
        import faiss
    except ImportError:
        return None
    index = faiss.IndexBinaryFlat(256)
    index.add(stored)
    rows = [np.frombuffer(q, dtype=np.uint8).reshape(1, 32) for q in queries]
    # faiss's radius is strict (<), hence threshold + 1.
    _, times = timed(lambda row: index.range_search(row, THRESHOLD + 1), rows)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--shapes", default="random,clustered")
    args = parser.parse_args()
    rng = np.random.default_rng(20261201)
    for n in (int(s) for s in args.sizes.split(",")):
        for shape in args.shapes.split(","):
            bench(n, shape, rng)


if __name__ == "__main__":
    main()
