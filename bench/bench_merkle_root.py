"""Times the root of 1M log leaves as a full audit computes it (the SDK's `audit.root`, a
compact range fed leaf hashes) against plain hashlib doing the same hashing work: each
leaf's bytes once plus n - 1 hashes of 64 bytes. Goal: at most 2x hashlib. (The hub never
hashes a whole tree: it stores each perfect node once, on append.)"""

import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script from anywhere: the repository root holds the clients package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clients import audit

LEAVES = 1_000_000
LEAF_SIZE = 200
ROUNDS = 3


def make_leaves(count: int) -> list[bytes]:
    template = (
        '{"v":1,"seq":%d,"type":"referral.status","at":"2025-01-01T00:00:00Z",'
        '"actor":"NL-MELDPUNT","case":"cas_01J0000000000000000000000","status":"removed",'
        '"digest":"sha256:'
    )
    return [(template % seq).encode().ljust(LEAF_SIZE - 2, b"0") + b'"}' for seq in range(count)]


def best_of(rounds: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def audit_root(leaves: list[bytes]) -> bytes:
    return audit.root(map(audit.leaf_hash, leaves))


def plain_hashlib(leaves: list[bytes]) -> None:
    sha256 = hashlib.sha256
    for leaf in leaves:
        sha256(leaf).digest()
    node = bytes(64)
    for _ in range(len(leaves) - 1):
        sha256(node).digest()


def main() -> None:
    leaves = make_leaves(LEAVES)
    assert all(len(leaf) == LEAF_SIZE for leaf in leaves)
    root_seconds = best_of(ROUNDS, lambda: audit_root(leaves))
    hashlib_seconds = best_of(ROUNDS, lambda: plain_hashlib(leaves))
    print(f"leaves:                    {LEAVES:,} x {LEAF_SIZE} bytes (best of {ROUNDS})")
    print(f"audit.root(leaf hashes):   {root_seconds:.3f} s")
    print(f"plain hashlib, same bytes: {hashlib_seconds:.3f} s")
    print(f"ratio:                     {root_seconds / hashlib_seconds:.2f}x (goal <= 2x)")
    print(f"root:                      {audit_root(leaves).hex()}")


if __name__ == "__main__":
    main()
