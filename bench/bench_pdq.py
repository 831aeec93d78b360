"""Latency of ScanMatcher.nearest() at 100k and 1M random PDQ hashes (p50), against a
pure-Python loop measured at 10k and scaled linearly; run: python bench/bench_pdq.py.

When faiss-cpu is installed, IndexBinaryFlat.range_search is timed too, for reference
(LIBRARIES.md's alternative); the hub does not use it.
"""

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.matching.pdq import ScanMatcher

THRESHOLD = 31
QUERIES = 50
SIZES = (100_000, 1_000_000)
BASELINE_SIZE = 10_000


def p50_ms(run: list[float]) -> float:
    return statistics.median(run) * 1000


def bench_scan(hashes: list[bytes], queries: list[bytes]) -> float:
    matcher = ScanMatcher()
    for i, pdq in enumerate(hashes):
        matcher.add(f"cnt_{i}", pdq)
    matcher.nearest(queries[0], THRESHOLD)
    times = []
    for query in queries:
        start = time.perf_counter()
        matcher.nearest(query, THRESHOLD)
        times.append(time.perf_counter() - start)
    return p50_ms(times)


def bench_python_loop(hashes: list[bytes], queries: list[bytes]) -> float:
    stored = [int.from_bytes(pdq, "big") for pdq in hashes]
    times = []
    for query in queries[:10]:
        value = int.from_bytes(query, "big")
        start = time.perf_counter()
        min((value ^ other).bit_count() for other in stored)
        times.append(time.perf_counter() - start)
    return p50_ms(times)


def bench_faiss(hashes: list[bytes], queries: list[bytes]) -> float | None:
    try:
        import faiss
        import numpy as np
    except ImportError:
        return None
    index = faiss.IndexBinaryFlat(256)
    index.add(np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, 32))
    times = []
    for query in queries:
        row = np.frombuffer(query, dtype=np.uint8).reshape(1, 32)
        start = time.perf_counter()
        # faiss's radius is strict (<), hence threshold + 1.
        index.range_search(row, THRESHOLD + 1)
        times.append(time.perf_counter() - start)
    return p50_ms(times)


def main() -> None:
    rng = random.Random(1)
    hashes = [rng.getrandbits(256).to_bytes(32, "big") for _ in range(max(SIZES))]
    queries = [rng.getrandbits(256).to_bytes(32, "big") for _ in range(QUERIES)]

    baseline_10k = bench_python_loop(hashes[:BASELINE_SIZE], queries)
    print(f"pure-Python loop   {BASELINE_SIZE:>9,} hashes  p50 {baseline_10k:9.2f} ms")
    for size in SIZES:
        scan = bench_scan(hashes[:size], queries)
        scaled = baseline_10k * size / BASELINE_SIZE
        print(
            f"ScanMatcher        {size:>9,} hashes  p50 {scan:9.2f} ms"
            f"   pure Python (scaled) {scaled:9.1f} ms   speed-up x{scaled / scan:.0f}"
        )
        reference = bench_faiss(hashes[:size], queries)
        if reference is not None:
            print(f"  faiss reference  {size:>9,} hashes  p50 {reference:9.2f} ms")


if __name__ == "__main__":
    main()
