"""Bulk reads of `pdq_hashes` for the in-memory index: each row as one fixed-width text
line (seq, content id, hex value), decoded in numpy, never a Python object per row.

PostgreSQL streams the lines with COPY; SQLite (the embedded default) fetches them.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

SEQ_DIGITS = 19
ID_WIDTH = 40  # pdq_hashes.content_id is VARCHAR(40)
HEX_DIGITS = 64
LINE = SEQ_DIGITS + ID_WIDTH + HEX_DIGITS + 1  # and the newline
# Lines decoded per step: bounds the text held at once (~120 MB).
ROWS_PER_STEP = 1_000_000

# One line per row: 19 digits of seq, the content id padded to 40, the hex value.
_POSTGRES_COPY = (
    "COPY (SELECT lpad(seq::text, 19, '0') || rpad(content_id, 40) || lower(value)"
    " FROM pdq_hashes WHERE seq > %s ORDER BY seq) TO STDOUT"
)
_SQLITE_SELECT = (
    "SELECT substr('0000000000000000000' || seq, -19)"
    " || substr(content_id || '" + " " * 40 + "', 1, 40) || lower(value) || char(10)"
    " FROM pdq_hashes WHERE seq > ? ORDER BY seq"
)

_NIBBLES = np.zeros(256, dtype=np.uint8)
_NIBBLES[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10)
_NIBBLES[np.frombuffer(b"abcdef", dtype=np.uint8)] = np.arange(10, 16)
_POWERS = 10 ** np.arange(SEQ_DIGITS - 1, -1, -1, dtype=np.int64)


@dataclass(frozen=True)
class PdqRows:
    seqs: np.ndarray  # (n,) int64
    content_ids: np.ndarray  # (n,) S40, NUL-padded
    hashes: np.ndarray  # (n, 32) uint8


def read_after(session: Session, after: int) -> Iterator[PdqRows]:
    """Every `pdq_hashes` row with seq > after, in seq order, in steps of ROWS_PER_STEP."""
    for text in _lines(session, after):
        yield decode(text)


def decode(text: bytes) -> PdqRows:
    """Rows from whole fixed-width lines."""
    lines = np.frombuffer(text, dtype=np.uint8).reshape(-1, LINE)
    seqs = (lines[:, :SEQ_DIGITS].astype(np.int64) - ord("0")) @ _POWERS
    ids = lines[:, SEQ_DIGITS : SEQ_DIGITS + ID_WIDTH].copy()
    ids[ids == ord(" ")] = 0  # padding; a content id has no spaces
    return PdqRows(
        seqs, ids.view(f"S{ID_WIDTH}").ravel(), from_hex(lines[:, SEQ_DIGITS + ID_WIDTH : LINE - 1])
    )


def from_hex(digits: np.ndarray) -> np.ndarray:
    """(n, 64) ASCII lowercase hex digits as (n, 32) uint8 hashes."""
    nibbles = _NIBBLES[digits]
    return (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]


def _lines(session: Session, after: int) -> Iterator[bytes]:
    yield from fixed_lines(session, LINE, _POSTGRES_COPY, _SQLITE_SELECT, (after,))


def fixed_lines(
    session: Session, line: int, postgres_copy: str, sqlite_select: str, params: tuple[object, ...]
) -> Iterator[bytes]:
    """The text of fixed-width lines of `line` bytes each (newline included), whole lines
    only, in steps of about ROWS_PER_STEP: a COPY ... TO STDOUT on PostgreSQL, a SELECT of
    one text column (each value ending in a newline) on SQLite."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        pending = bytearray()
        with cursor.copy(postgres_copy, params) as copy:
            for block in copy:
                pending += block
                whole = len(pending) // line * line
                if whole >= ROWS_PER_STEP * line:
                    yield bytes(pending[:whole])
                    del pending[:whole]
        if pending:
            yield bytes(pending)
        return
    result = connection.exec_driver_sql(sqlite_select, params)
    while rows := result.fetchmany(ROWS_PER_STEP):
        yield "".join(text for (text,) in rows).encode("ascii")
