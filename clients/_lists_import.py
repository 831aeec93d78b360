"""Importing a hash list file (NDJSON or CSV) into a new list version in parts, resumable:
after each part the hub took, the version, part and last line go to a progress file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from clients._sync import HubClient
from schemas.lists import CSV, NDJSON, VersionOut

__all__ = ["PART_SIZE", "ListImport"]

# Entries per request: the progress bar moves once per part.
PART_SIZE = 10_000


@dataclass(frozen=True)
class Part:
    number: int
    first_line: int
    last_line: int
    lines: bytes
    entries: int


def _parts(stream: IO[bytes], csv: bool, size: int, after_line: int, part: int) -> Iterator[Part]:
    """The file's lines in parts of `size`, skipping lines up to `after_line`; a CSV part
    starts with the file's header, and its lines count from the first data line."""
    header = stream.readline() if csv else b""
    number = 1 if csv else 0
    lines: list[bytes] = []
    first = 0
    for raw in stream:
        number += 1
        if number <= after_line:
            continue
        if not lines:
            first = number
        lines.append(raw if raw.endswith(b"\n") else raw + b"\n")
        if len(lines) == size:
            part += 1
            yield Part(part, first, number, header + b"".join(lines), len(lines))
            lines = []
    if lines:
        yield Part(part + 1, first, number, header + b"".join(lines), len(lines))


@dataclass
class ListImport:
    """Sends a file's entries to a new version of a list, then publishes it."""

    hub: HubClient
    list_id: str
    source: Path
    fmt: str = "jsonl"
    part_size: int = PART_SIZE
    progress_file: Path | None = None
    resume: bool = False
    version: int | None = None
    done_part: int = 0
    done_line: int = 0
    sent: int = 0

    def __post_init__(self) -> None:
        if self.part_size < 1:
            raise ValueError("part size must be at least 1")
        if self.progress_file is None:
            self.progress_file = self.source.with_name(self.source.name + ".progress")
        if self.resume and self.progress_file.exists():
            last = None
            for raw in self.progress_file.read_text().splitlines():
                try:
                    last = json.loads(raw)
                except ValueError:
                    continue  # a line cut short by an interruption
            if last is not None and last.get("list") == self.list_id:
                self.version, self.done_part = int(last["version"]), int(last["part"])
                self.done_line = int(last["line"])

    def run(self, advance: Callable[[int], None] | None = None, publish: bool = True) -> VersionOut:
        """Imports every line after `done_line` and publishes the version."""
        assert self.progress_file is not None
        lists = self.hub.lists
        if self.version is None:
            self.version = lists.open_version(self.list_id).version
            self.progress_file.write_text(self._record(0, 0))
        elif lists.version(self.list_id, self.version).state != "importing":
            return lists.version(self.list_id, self.version)
        media_type = CSV if self.fmt == "csv" else NDJSON
        with self.source.open("rb") as stream, self.progress_file.open("a") as progress:
            parts = _parts(
                stream, self.fmt == "csv", self.part_size, self.done_line, self.done_part
            )
            for part in parts:
                lists.import_part(
                    self.list_id,
                    self.version,
                    part.lines,
                    part=part.number,
                    first_line=part.first_line,
                    media_type=media_type,
                )
                self.done_part, self.done_line = part.number, part.last_line
                self.sent += part.entries
                # Written only once the hub took the part: a resume starts after it.
                progress.write(self._record(part.number, part.last_line))
                progress.flush()
                if advance:
                    advance(part.entries)
        if not publish:
            return lists.version(self.list_id, self.version)
        return lists.publish(self.list_id, self.version)

    def _record(self, part: int, line: int) -> str:
        record = {"list": self.list_id, "version": self.version, "part": part, "line": line}
        return json.dumps(record) + "\n"
