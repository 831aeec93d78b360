"""Near-duplicate content by PDQ hash (PROTOCOL 4.1): the closest known 256-bit hash
within a Hamming distance, behind a small interface; IndexMatcher is the exact index.

IndexMatcher is multi-index hashing: m disjoint chunks of the hash each index every
hash. Two hashes at distance d <= m(r + 1) - 1 differ in at most r bits of some chunk
(pigeonhole: m chunks of r + 1 or more differing bits make d >= m(r + 1)), so probing
every chunk value within r = d // m bits of the query's finds every such hash; the
candidates are then checked exactly on all 256 bits. Up to LARGE_INDEX_ROWS hashes the
chunks are 16 of 16 bits (d <= 31 probes 1 + 16 values per chunk, ~N/65,536 rows each);
above, 11 of 23 bits (253 of the 256; d <= 32 probes 1 + 23 + 253 values, ~N/8M rows
each), which checks ten times fewer candidates at 10M hashes. A small index keys each
chunk by fewer of its bits (still exact: the pigeonhole holds on any subset of bits).
Beyond a layout's largest radius its rows are scanned, still exact.
"""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from typing import Protocol

import numpy as np

PDQ_BYTES = 32
MIN_CHUNK_BITS = 8
LARGE_INDEX_ROWS = 1_500_000
# Hashes added since the last build are scanned; a build folds them in past this many.
TAIL_ROWS = 8192
# The newest rows are indexed apart (the delta) until they pass a quarter of the base,
# so a build costs what changed, not the whole index, until then.
DELTA_SHARE = 4
# A search waits for a running build rather than scan more unindexed rows than this.
MAX_SCAN_ROWS = 262_144
# Rows compared per step of a scan: keeps the XOR temporaries in cache.
_CHUNK_ROWS = 16_384
# Probes and candidates handled per step of a batch: bounds the temporaries (~50 MB).
_PROBES_PER_STEP = 1 << 20
_CANDIDATES_PER_STEP = 1 << 18
_ROW_BITS = 40
_NONE = np.iinfo(np.int64).max

logger = logging.getLogger("hub.matching")


@dataclass(frozen=True, slots=True)
class PdqMatch:
    content_id: str
    distance: int


class PdqMatcher(Protocol):
    def add(self, content_id: str, pdq: bytes) -> None:
        """Remember a 32-byte PDQ hash of content_id."""
        ...

    def nearest(self, pdq: bytes, max_distance: int) -> PdqMatch | None:
        """The closest remembered hash within max_distance (inclusive); on a tie the one
        added first; None when there is none."""
        ...

    def nearest_many(self, pdqs: Sequence[bytes], max_distance: int) -> list[PdqMatch | None]:
        """nearest() for each hash, in order, in one vectorised pass."""
        ...


def hamming(a: bytes, b: bytes) -> int:
    """The number of differing bits between two hashes of the same length."""
    if len(a) != len(b):
        raise ValueError("hashes of different lengths")
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def as_rows(pdqs: Sequence[bytes]) -> np.ndarray:
    """32-byte hashes as an (n, 32) uint8 array; ValueError for any other length."""
    for pdq in pdqs:
        if len(pdq) != PDQ_BYTES:
            raise ValueError(f"a PDQ hash is {PDQ_BYTES} bytes, got {len(pdq)}")
    return np.frombuffer(b"".join(pdqs), dtype=np.uint8).reshape(len(pdqs), PDQ_BYTES)


def _records(hashes: np.ndarray) -> np.ndarray:
    """An (n, 32) uint8 array as n 32-byte records (a view)."""
    return hashes.view(np.dtype((np.void, PDQ_BYTES))).ravel()


def _popcount(xored: np.ndarray) -> np.ndarray:
    """Set bits per row of an (n, 4) uint64 array."""
    bits = np.bitwise_count(xored)
    # Adding the four 64-bit columns beats sum(axis=1) over a short axis.
    distances = bits[:, 0].astype(np.uint16)
    distances += bits[:, 1]
    distances += bits[:, 2]
    distances += bits[:, 3]
    return distances


def _scan(words: np.ndarray, queries: np.ndarray, max_distance: int, offset: int) -> np.ndarray:
    """Best key per query among `words` (rows numbered from offset), _NONE where none."""
    best = np.full(len(queries), _NONE, dtype=np.int64)
    for start in range(0, len(words), _CHUNK_ROWS):
        block = words[start : start + _CHUNK_ROWS]
        for q, query in enumerate(queries):
            distances = _popcount(block ^ query)
            row = int(distances.argmin())
            # Strictly less: an earlier block keeps the tie, so the first added wins.
            if distances[row] <= max_distance:
                key = (int(distances[row]) << _ROW_BITS) | (offset + start + row)
                best[q] = min(best[q], key)
    return best


@dataclass(frozen=True)
class Layout:
    """How an index cuts a hash: `chunks` chunks of `width` bits from the first bit;
    probing up to `max_radius` bits per chunk (thresholds below chunks * (max_radius + 1))."""

    chunks: int
    width: int
    max_radius: int

    def radius(self, max_distance: int) -> int | None:
        """Bits probed per chunk for a threshold; None where a scan is cheaper."""
        radius = max_distance // self.chunks
        return radius if radius <= self.max_radius else None

    def values(self, hashes: np.ndarray, chunk: int, bits: int) -> np.ndarray:
        """The first `bits` bits of chunk `chunk` of each (n, 32) uint8 row, as uint32."""
        first, skip = divmod(chunk * self.width, 8)
        if first > PDQ_BYTES - 4:  # the last chunks: the last four bytes hold them
            first, skip = PDQ_BYTES - 4, skip + 8 * (first - (PDQ_BYTES - 4))
        words = np.ascontiguousarray(hashes[:, first : first + 4]).view(">u4").ravel()
        return (words >> np.uint32(32 - skip - bits)) & np.uint32((1 << bits) - 1)


# Radius 2 of 16 bits probes 137 values (d <= 47), 3 of 23 bits 2,048 (d <= 43).
SMALL = Layout(chunks=16, width=16, max_radius=2)
LARGE = Layout(chunks=11, width=23, max_radius=3)


@cache
def _probe_masks(bits: int, radius: int) -> np.ndarray:
    """Every XOR mask of at most `radius` set bits among `bits` bits."""
    masks = [0]
    for r in range(1, radius + 1):
        for chosen in combinations(range(bits), r):
            masks.append(sum(1 << b for b in chosen))
    return np.array(masks, dtype=np.int32)


def _layout_for(size: int) -> tuple[Layout, int]:
    """The layout and chunk bits for an index of `size` rows."""
    layout = LARGE if size > LARGE_INDEX_ROWS else SMALL
    return layout, min(layout.width, max(MIN_CHUNK_BITS, (size - 1).bit_length()))


@dataclass(frozen=True)
class ChunkIndex:
    """Rows [first, first + size) sorted by each chunk's value: chunk c's rows with value
    v are first + order[c, starts[c, v] : starts[c, v + 1]], in row order."""

    first: int
    size: int
    layout: Layout
    bits: int
    order: np.ndarray  # (chunks, size) int32 row numbers, counted from first
    starts: np.ndarray  # (chunks, 2**bits + 1) int32 positions in order[c]

    @classmethod
    def empty(cls, first: int) -> "ChunkIndex":
        return cls.build(np.zeros((0, PDQ_BYTES), dtype=np.uint8), first)

    @classmethod
    def build(cls, hashes: np.ndarray, first: int) -> "ChunkIndex":
        size = len(hashes)
        layout, bits = _layout_for(size)
        order = np.empty((layout.chunks, size), dtype=np.int32)
        starts = np.zeros((layout.chunks, (1 << bits) + 1), dtype=np.int32)
        rows = np.arange(size, dtype=np.uint64)
        for c in range(layout.chunks):
            values = layout.values(hashes, c, bits)
            # One sort of (value, row) keys: rows of one value stay in arrival order.
            keys = (values.astype(np.uint64) << np.uint64(32)) | rows
            keys.sort()
            order[c] = keys.astype(np.uint32).view(np.int32)
            np.cumsum(np.bincount(values, minlength=1 << bits), out=starts[c, 1:])
        return cls(first, size, layout, bits, order, starts)

    def search(self, hashes: np.ndarray, queries: np.ndarray, max_distance: int) -> np.ndarray:
        """Best key per query among the indexed rows (hashes: every row, from row 0),
        _NONE where none."""
        best = np.full(len(queries), _NONE, dtype=np.int64)
        if self.size == 0:
            return best
        radius = self.layout.radius(max_distance)
        if radius is None:
            mine = hashes[self.first : self.first + self.size].view(np.uint64)
            return _scan(mine, queries.view(np.uint64), max_distance, self.first)
        chunks = self.layout.chunks
        masks = _probe_masks(self.bits, radius)
        values = np.stack(
            [self.layout.values(queries, c, self.bits) for c in range(chunks)], axis=1
        )
        # int32 throughout: every position in the tables fits, and gathers move half the bytes.
        table_offsets = (np.arange(chunks, dtype=np.int32) * self.starts.shape[1])[:, None]
        order_offsets = np.arange(chunks, dtype=np.int64) * self.size
        starts = self.starts.ravel()
        ends = starts[1:]  # ends[i] == starts[i + 1], without adding 1 to every probe
        records, query_records = _records(hashes), _records(queries)
        per_step = max(1, _PROBES_PER_STEP // (chunks * len(masks)))
        for first in range(0, len(queries), per_step):
            step = values[first : first + per_step].view(np.int32)
            probes = ((step[:, :, None] ^ masks) + table_offsets).ravel()
            begin = starts[probes]
            lengths = ends[probes] - begin
            hit = np.flatnonzero(lengths)
            # Non-empty probes, in query order: whose query, which chunk, where in order.
            owners = first + hit // (chunks * len(masks))
            begin = begin[hit] + order_offsets[hit // len(masks) % chunks]
            lengths = lengths[hit].astype(np.int64)
            self._check(records, query_records, owners, begin, lengths, max_distance, best)
        return best

    def _check(
        self,
        records: np.ndarray,
        query_records: np.ndarray,
        owners: np.ndarray,
        begin: np.ndarray,
        lengths: np.ndarray,
        max_distance: int,
        best: np.ndarray,
    ) -> None:
        """Compares every candidate the probes name with its query, a bounded number at
        a time, keeping the best key per query in `best`."""
        ends = np.cumsum(lengths)
        done, probe = 0, 0
        while probe < len(lengths):
            # As many probes as fit in one step's candidate budget (at least one).
            last = max(probe + 1, int(np.searchsorted(ends, done + _CANDIDATES_PER_STEP, "right")))
            step_lengths = lengths[probe:last]
            count = int(ends[last - 1]) - done
            positions = np.repeat(
                begin[probe:last] - (ends[probe:last] - step_lengths - done), step_lengths
            )
            positions += np.arange(count, dtype=np.int64)
            rows = np.take(self.order.ravel(), positions)
            if self.first:
                rows += np.int32(self.first)
            who = np.repeat(owners[probe:last], step_lengths)
            # take() on 32-byte records gathers ~5x faster than 2-D fancy indexing.
            found = np.take(records, rows).view(np.uint64).reshape(-1, 4)
            wanted = np.take(query_records, who).view(np.uint64).reshape(-1, 4)
            distances = _popcount(found ^ wanted)
            near = distances <= max_distance
            if near.any():
                keys = (distances[near].astype(np.int64) << _ROW_BITS) | rows[near].astype(np.int64)
                np.minimum.at(best, who[near], keys)
            done, probe = int(ends[last - 1]), last


@dataclass(frozen=True)
class MatcherState:
    """Everything an IndexMatcher holds, as arrays: what a snapshot file stores."""

    hashes: np.ndarray  # (count, 32) uint8
    content_ids: np.ndarray  # (count,) fixed-width bytes
    base: ChunkIndex
    delta: ChunkIndex


class IndexMatcher:
    """Exact nearest-hash search through a multi-index hash table; thread-safe.

    Rows never change once written, so searches run on a snapshot outside the lock.
    Builds run on a background thread: until one finishes, searches use the previous
    index and scan the rows added since, so an add never waits for a build and a search
    only waits when more than MAX_SCAN_ROWS rows are unindexed (a first load).
    """

    def __init__(self, initial_capacity: int = 1024, tail_rows: int | None = None) -> None:
        self._lock = threading.Lock()
        self._built = threading.Condition(self._lock)
        self._tail_rows = TAIL_ROWS if tail_rows is None else tail_rows
        self._hashes = np.zeros((max(1, initial_capacity), PDQ_BYTES), dtype=np.uint8)
        # Fixed-width bytes: a content id costs its length, not a Python object (~80 B).
        self._content_ids = np.zeros(max(1, initial_capacity), dtype="S32")
        self._count = 0
        self._base = ChunkIndex.empty(0)
        self._delta = ChunkIndex.empty(0)
        self._building = False
        self._deferred = 0
        self.builds = 0
        # Called on the build thread after each build (a snapshot writer, say).
        self.on_built: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return self._count

    @property
    def indexed(self) -> int:
        """Rows an index covers; the rest are scanned."""
        return self._delta.first + self._delta.size

    def add(self, content_id: str, pdq: bytes) -> None:
        self.add_many([content_id], as_rows([pdq]))

    def add_many(self, content_ids: Sequence[str] | np.ndarray, hashes: np.ndarray) -> None:
        """Remember hashes[i] (an (n, 32) uint8 array) as a hash of content_ids[i] (ASCII
        strings, or an array of NUL-padded bytes)."""
        if hashes.ndim != 2 or hashes.shape[1] != PDQ_BYTES or len(hashes) != len(content_ids):
            raise ValueError("hashes must be an (n, 32) array, one row per content id")
        if isinstance(content_ids, np.ndarray):
            ids = content_ids
        else:
            ids = np.array([c.encode("ascii") for c in content_ids], dtype="S")
        with self._lock:
            count, end = self._count, self._count + len(hashes)
            if end > len(self._hashes) or ids.dtype.itemsize > self._content_ids.dtype.itemsize:
                # New arrays rather than resizes: readers may still hold the old ones.
                capacity = max(2 * len(self._hashes), end)
                width = max(ids.dtype.itemsize, self._content_ids.dtype.itemsize)
                grown = np.zeros((capacity, PDQ_BYTES), dtype=np.uint8)
                grown[:count] = self._hashes[:count]
                grown_ids = np.zeros(capacity, dtype=f"S{width}")
                grown_ids[:count] = self._content_ids[:count]
                self._hashes, self._content_ids = grown, grown_ids
            self._hashes[count:end] = hashes
            self._content_ids[count:end] = ids
            self._count = end
            self._start_build_if_due()

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Adds inside start no build: one build follows a load of many parts."""
        with self._lock:
            self._deferred += 1
        try:
            yield
        finally:
            with self._lock:
                self._deferred -= 1
                self._start_build_if_due()

    def wait_for_builds(self, timeout: float | None = None) -> bool:
        """Blocks until no build is due or running; False on timeout."""
        with self._lock:
            return self._built.wait_for(lambda: not self._building, timeout)

    def _start_build_if_due(self) -> None:
        # Called with the lock held.
        if self._building or self._deferred or self._count - self.indexed < self._tail_rows:
            return
        self._building = True
        threading.Thread(target=self._build, name="hub-pdq-build", daemon=True).start()

    def _build(self) -> None:
        try:
            while True:
                with self._lock:
                    hashes, count, base = self._hashes, self._count, self._base
                    if self._deferred or count - self.indexed < self._tail_rows:
                        # Decided under the lock, so a later add starts the next builder.
                        self._building = False
                        self._built.notify_all()
                        return
                if (count - base.size) * DELTA_SHARE > base.size:
                    new_base, new_delta = ChunkIndex.build(hashes[:count], 0), None
                else:
                    new_base, new_delta = (
                        base,
                        ChunkIndex.build(hashes[base.size : count], base.size),
                    )
                with self._lock:
                    self._base = new_base
                    self._delta = new_delta or ChunkIndex.empty(count)
                    self.builds += 1
                    self._built.notify_all()
                for listener in list(self.on_built):
                    try:
                        listener()
                    except Exception:
                        logger.exception("after a PDQ index build")
        except Exception:
            logger.exception("PDQ index build failed; unindexed hashes are scanned")
            with self._lock:
                self._building = False
                self._built.notify_all()

    def state(self) -> MatcherState:
        """The rows and indexes as they are now (arrays shared, never written again)."""
        with self._lock:
            return MatcherState(
                self._hashes[: self._count],
                self._content_ids[: self._count],
                self._base,
                self._delta,
            )

    @classmethod
    def from_state(
        cls, state: MatcherState, spare: int = TAIL_ROWS, tail_rows: int | None = None
    ) -> "IndexMatcher":
        """A matcher holding a state's rows and indexes; the rows are copied (room for
        `spare` more), the index arrays used as they are (a memory map, say)."""
        count = len(state.hashes)
        matcher = cls(initial_capacity=count + spare, tail_rows=tail_rows)
        matcher._content_ids = np.zeros(count + spare, dtype=state.content_ids.dtype)
        matcher._hashes[:count] = state.hashes
        matcher._content_ids[:count] = state.content_ids
        matcher._count = count
        matcher._base, matcher._delta = state.base, state.delta
        with matcher._lock:
            matcher._start_build_if_due()
        return matcher

    def nearest(self, pdq: bytes, max_distance: int) -> PdqMatch | None:
        return self.nearest_many([pdq], max_distance)[0]

    def nearest_many(self, pdqs: Sequence[bytes], max_distance: int) -> list[PdqMatch | None]:
        _, ids, keys = self._best(pdqs, max_distance)
        return [
            None
            if key == _NONE
            else PdqMatch(ids[key & ((1 << _ROW_BITS) - 1)].decode("ascii"), key >> _ROW_BITS)
            for key in keys
        ]

    def nearest_hashes(
        self, pdqs: Sequence[bytes], max_distance: int
    ) -> list[tuple[bytes, int] | None]:
        """The closest remembered hash itself (and its distance) for each hash, in order."""
        hashes, _, keys = self._best(pdqs, max_distance)
        return [
            None
            if key == _NONE
            else (hashes[key & ((1 << _ROW_BITS) - 1)].tobytes(), key >> _ROW_BITS)
            for key in keys
        ]

    def _best(
        self, pdqs: Sequence[bytes], max_distance: int
    ) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """The rows and ids searched, and the best key per query (_NONE for none)."""
        queries = as_rows(pdqs)
        with self._lock:
            # A first load leaves millions unindexed: its build is quicker than a scan.
            self._built.wait_for(
                lambda: not self._building or self._count - self.indexed <= MAX_SCAN_ROWS
            )
            hashes, ids, count = self._hashes, self._content_ids, self._count
            base, delta = self._base, self._delta
        if max_distance < 0 or count == 0 or not pdqs:
            return hashes, ids, [_NONE] * len(pdqs)
        # Base rows come before delta rows, delta rows before the tail: min() keeps ties
        # with the first added.
        best = np.minimum(
            base.search(hashes[:count], queries, max_distance),
            delta.search(hashes[:count], queries, max_distance),
        )
        indexed = delta.first + delta.size
        tail = hashes[indexed:count].view(np.uint64)
        best = np.minimum(best, _scan(tail, queries.view(np.uint64), max_distance, indexed))
        return hashes, ids, best.tolist()


class ScanMatcher(IndexMatcher):
    """Exact search by scanning every hash: the reference the index is checked against."""

    def __init__(self, initial_capacity: int = 1024) -> None:
        super().__init__(initial_capacity, tail_rows=2**62)
