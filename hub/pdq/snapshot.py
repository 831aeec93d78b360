"""Snapshot files of a PDQ matcher: its rows and built indexes, so a process starts from
a file in seconds instead of reading and indexing millions of rows from the database.

One file: a magic line, the length of a JSON header, the header (what the file is,
the caller's facts to check it against the database, where each array lies), then the
arrays, page-aligned. Written to a temporary file and renamed, so a reader sees a whole
old file or a whole new one; the index arrays are memory-mapped when read.
"""

import hashlib
import json
import logging
import os
import struct
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hub.pdq.index import LARGE, SMALL, ChunkIndex, IndexMatcher, Layout, MatcherState

MAGIC = b"HUBPDQSNAP1\n"
_ALIGN = 4096
_MAX_HEADER = 1 << 24

logger = logging.getLogger("hub.matching")


@dataclass(frozen=True)
class Snapshot:
    matcher: IndexMatcher
    facts: dict[str, Any]  # what the writer recorded to check the file against the database


def path_for(folder: Path, kind: str, database_url: str) -> Path:
    """The snapshot of one index of one database: named by a digest of its URL (without
    a password), so two databases never share a file."""
    bare = database_url.split("?", 1)[0]
    if "@" in bare:
        scheme, rest = bare.split("://", 1)
        bare = f"{scheme}://{rest.split('@', 1)[1]}"
    digest = hashlib.sha256(bare.encode()).hexdigest()[:16]
    return folder / f"pdq-{kind}-{digest}.snapshot"


def write(path: Path, state: MatcherState, facts: dict[str, Any]) -> None:
    """Writes a matcher's state with the caller's facts, replacing any older file."""
    arrays = {"hashes": state.hashes, "content_ids": state.content_ids}
    indexes = {}
    for name, index in (("base", state.base), ("delta", state.delta)):
        arrays[f"{name}.order"], arrays[f"{name}.starts"] = index.order, index.starts
        indexes[name] = {
            "first": index.first,
            "size": index.size,
            "layout": asdict(index.layout),
            "bits": index.bits,
        }
    placed: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in arrays.items():
        placed[name] = {"dtype": array.dtype.str, "shape": array.shape, "offset": offset}
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = json.dumps({"facts": facts, "indexes": indexes, "arrays": placed}).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(MAGIC + struct.pack("<Q", len(header)) + header)
            for name, array in arrays.items():
                out.seek(start + placed[name]["offset"])
                out.write(np.ascontiguousarray(array).data)
            out.truncate(start + offset)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_facts(path: Path) -> dict[str, Any] | None:
    """Only the facts of a snapshot (the header), None when there is no readable one."""
    header = _header(path)
    return None if header is None else header[0]["facts"]


def read(path: Path, tail_rows: int | None = None) -> Snapshot | None:
    """The matcher a snapshot holds; None when there is none or it is damaged (a damaged
    or foreign file is never trusted: the caller loads from the database instead)."""
    found = _header(path)
    if found is None:
        return None
    header, start = found
    try:
        arrays = {
            name: np.memmap(
                path,
                dtype=np.dtype(place["dtype"]),
                mode="r",
                offset=start + place["offset"],
                shape=tuple(place["shape"]),
            )
            if np.prod(place["shape"])
            else np.zeros(tuple(place["shape"]), dtype=np.dtype(place["dtype"]))
            for name, place in header["arrays"].items()
        }
        indexes = {
            name: ChunkIndex(
                first=int(spec["first"]),
                size=int(spec["size"]),
                layout=_layout(spec["layout"]),
                bits=int(spec["bits"]),
                order=arrays[f"{name}.order"],
                starts=arrays[f"{name}.starts"],
            )
            for name, spec in header["indexes"].items()
        }
        state = MatcherState(arrays["hashes"], arrays["content_ids"], **indexes)
        _check_shapes(state)
    except (KeyError, TypeError, ValueError, OSError) as error:
        logger.warning("PDQ snapshot unreadable, loading from the database: %s", type(error))
        return None
    return Snapshot(IndexMatcher.from_state(state, tail_rows=tail_rows), header["facts"])


def _header(path: Path) -> tuple[dict[str, Any], int] | None:
    try:
        with path.open("rb") as file:
            if file.read(len(MAGIC)) != MAGIC:
                return None
            (length,) = struct.unpack("<Q", file.read(8))
            if length > _MAX_HEADER:
                return None
            header = json.loads(file.read(length))
    except (OSError, struct.error, ValueError):
        return None
    if not isinstance(header, dict) or not isinstance(header.get("facts"), dict):
        return None
    start = -(-(len(MAGIC) + 8 + length) // _ALIGN) * _ALIGN
    return header, start


def _layout(spec: dict[str, int]) -> Layout:
    """The layout a file names, if this version of the hub still builds it."""
    layout = Layout(**spec)
    if layout not in (SMALL, LARGE):
        raise ValueError("layout")
    return layout


def _check_shapes(state: MatcherState) -> None:
    """ValueError unless the arrays fit each other (a file from another version, say)."""
    count = len(state.hashes)
    if state.hashes.shape != (count, 32) or state.content_ids.shape != (count,):
        raise ValueError("rows")
    if state.base.first != 0 or state.delta.first != state.base.size:
        raise ValueError("index ranges")
    if state.delta.first + state.delta.size > count:
        raise ValueError("index ranges")
    for index in (state.base, state.delta):
        if index.order.shape != (index.layout.chunks, index.size):
            raise ValueError("order")
        if index.starts.shape != (index.layout.chunks, (1 << index.bits) + 1):
            raise ValueError("starts")
