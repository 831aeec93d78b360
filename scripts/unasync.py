"""Writes the sync SDK client (`clients/_sync.py`, `HubClient`) from the async one
(`clients/_async.py`, `AsyncHubClient`), so the client is written once.

`_sync.py` is a build product, never committed (.gitignore): `make` writes it when
`_async.py` changes, and building a wheel (setup.py) writes it into the wheel."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "clients" / "_async.py"
TARGET = ROOT / "clients" / "_sync.py"

HEADER = "# Generated from _async.py by scripts/unasync.py at install; do not edit.\n"

# Prose that says more than other names would: (async text, sync text), each found once.
PROSE = (
    (
        '''"""`AsyncHubClient`: the SDK over one `httpx.AsyncClient`; everything but sending and
sleeping comes from the I/O-free core in `_base`. `HubClient` (`_sync.py`) is generated
from this file by `scripts/unasync.py` (at install, by `make`): change this one."""''',
        '''"""`HubClient`: the SDK over one `httpx.Client`; everything but sending and sleeping
comes from the I/O-free core in `_base`."""''',
    ),
    (
        """The hub's API over one `httpx.AsyncClient`; the same methods as `HubClient`,
    awaited; lists are async iterators. Use it as an async context manager.""",
        """The hub's API over one `httpx.Client`; use it as a context manager.""",
    ),
)

# Whole words of the async client and what they are in the sync one, applied in this order.
WORDS = (
    (r"\basync (def|with|for)\b", r"\1"),
    (r"\bawait ", ""),
    (r"\bAsyncHubClient\b", "HubClient"),
    (r"\bAsync(Client|BaseTransport|Iterator)\b", r"\1"),
    (r"\b__a(enter|exit|next|iter)__\b", r"__\1__"),
    (r"\banext\(", "next("),
    (r"\baclose\(", "close("),
    (r"\banyio\b", "time"),
)
# A word of the async world that WORDS left: the generator does not know it yet.
LEFTOVER = re.compile(
    r"\basync(io)?\b|\bawait\b|\bAsync\w+|\banyio\b|__a(enter|exit|next|iter)__|\ba(close|next)\b"
)


def generate(source: str) -> str:
    """The text of `_sync.py` for this text of `_async.py`."""
    for async_text, sync_text in PROSE:
        if source.count(async_text) != 1:
            raise ValueError(f"PROSE no longer matches _async.py: {async_text[:50]!r}…")
        source = source.replace(async_text, sync_text)
    for pattern, replacement in WORDS:
        source = re.sub(pattern, replacement, source)
    if leftover := LEFTOVER.search(source):
        line = source.count("\n", 0, leftover.start()) + 1
        raise ValueError(f"line {line}: no sync word for {leftover[0]!r}; add it to WORDS")
    return HEADER + source


if __name__ == "__main__":
    TARGET.write_text(generate(SOURCE.read_text()))
