"""Reading list entries from an NDJSON or CSV stream, line by line, with per-line problems.

Each good line becomes `(alg, value, quality, category)`; a bad one becomes a problem
naming its line number and field. Nothing here holds more than one line at a time.
"""

import base64
import binascii
import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from schemas.lists import CSV, CSV_COLUMNS, NDJSON

EntryRow = tuple[str, str, int | None, str | None]

_HEX_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32, "pdq": 64}
_HEX = {alg: re.compile(rf"[0-9a-fA-F]{{{n}}}") for alg, n in _HEX_LENGTHS.items()}
_CATEGORY = re.compile(r"[\x21-\x7e]{1,32}")
_FIELDS = frozenset(CSV_COLUMNS)
PHOTODNA_BYTES = 144


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    field: str | None
    msg: str

    def as_error(self) -> dict[str, Any]:
        loc: list[str | int] = ["line", self.line] + ([self.field] if self.field else [])
        return {"loc": loc, "msg": self.msg, "line": self.line}


# A line's number and what it held: an entry, or the problem with it.
Read = tuple[int, "EntryRow | LineProblem"]


class Rejected(ValueError):
    """A line that is not a valid entry: which field, and why."""

    def __init__(self, field: str | None, msg: str) -> None:
        super().__init__(msg)
        self.field = field
        self.msg = msg


def entry(alg: Any, value: Any, quality: Any, category: Any) -> EntryRow:
    """One entry checked and normalised (lower-case hex, canonical base64)."""
    if alg not in _HEX_LENGTHS and alg != "photodna":
        raise Rejected("alg", "must be one of sha256, sha1, md5, pdq, photodna")
    if not isinstance(value, str):
        raise Rejected("value", "must be a string")
    if alg == "photodna":
        value = _photodna(value)
    elif _HEX[alg].fullmatch(value) is None:
        raise Rejected("value", f"must be {_HEX_LENGTHS[alg]} hexadecimal digits")
    else:
        value = value.lower()
    if quality is not None:
        if alg != "pdq":
            raise Rejected("quality", "is only for pdq entries")
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise Rejected("quality", "must be an integer from 0 to 100")
    if category is not None and (
        not isinstance(category, str) or _CATEGORY.fullmatch(category) is None
    ):
        raise Rejected("category", "must be 1 to 32 printable ASCII characters, no spaces")
    return alg, value, quality, category


def _photodna(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("value", "must be base64") from None
    if len(raw) != PHOTODNA_BYTES:
        raise Rejected("value", f"must decode to exactly {PHOTODNA_BYTES} bytes, not {len(raw)}")
    return base64.b64encode(raw).decode()


def _from_json(raw: bytes) -> EntryRow:
    try:
        body = json.loads(raw)
    except ValueError:
        raise Rejected(None, "is not JSON") from None
    if not isinstance(body, dict):
        raise Rejected(None, "is not a JSON object")
    unknown = body.keys() - _FIELDS
    if unknown:
        raise Rejected(sorted(unknown)[0], "is not a field of an entry")
    if "alg" not in body:
        raise Rejected("alg", "is required")
    if "value" not in body:
        raise Rejected("value", "is required")
    return entry(body["alg"], body["value"], body.get("quality"), body.get("category"))


def _from_csv(cells: list[str]) -> EntryRow:
    if len(cells) != len(CSV_COLUMNS):
        raise Rejected(None, f"has {len(cells)} cells, not {len(CSV_COLUMNS)}")
    alg, value, quality, category = (cell.strip() for cell in cells)
    number: int | None = None
    if quality:
        if not quality.isdigit():
            raise Rejected("quality", "must be an integer from 0 to 100")
        number = int(quality)
    return entry(alg, value, number, category or None)


def read(stream: IO[bytes], media_type: str, first_line: int) -> Iterator[Read]:
    """Every entry of the body, or the problem with it; lines count from `first_line`."""
    if media_type == NDJSON:
        yield from _read_ndjson(stream, first_line)
    elif media_type == CSV:
        yield from _read_csv(stream, first_line)
    else:
        raise ValueError(f"not a list media type: {media_type}")


def _read_ndjson(stream: IO[bytes], first_line: int) -> Iterator[Read]:
    for number, raw in enumerate(stream, start=first_line):
        if number == first_line:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if not raw.strip():
            continue
        try:
            yield number, _from_json(raw)
        except Rejected as bad:
            yield number, LineProblem(number, bad.field, bad.msg)


def _read_csv(stream: IO[bytes], first_line: int) -> Iterator[Read]:
    lines = _utf8_lines(stream)
    header = next(lines, None)
    if header is None:
        return
    columns = [c.strip() for c in next(csv.reader([header[1].removeprefix("\ufeff")]), [])]
    if tuple(columns) != CSV_COLUMNS:
        yield (
            first_line,
            LineProblem(first_line, None, f"the header must be {','.join(CSV_COLUMNS)}"),
        )
        return
    # The header is not a line of the list: the first data line is `first_line`.
    for index, (raw, text) in enumerate(lines):
        number = first_line + index
        if text is None:
            yield number, LineProblem(number, None, "is not UTF-8")
            continue
        if not raw.strip():
            continue
        try:
            cells = next(csv.reader([text]))
            yield number, _from_csv(cells)
        except csv.Error:
            yield number, LineProblem(number, None, "is not one CSV record")
        except Rejected as bad:
            yield number, LineProblem(number, bad.field, bad.msg)


def _utf8_lines(stream: IO[bytes]) -> Iterator[tuple[bytes, str | None]]:
    for raw in stream:
        try:
            yield raw, raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield raw, None
