"""Bulk submission from a JSONL or CSV file in batches, resumable: after each confirmed
batch the last input line and the running counts are appended to a progress file."""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from clients._base import SentBatch
from clients._models import RejectedReport, SubmittedReport
from clients._report_body import report_body
from clients._sync import HubClient
from schemas.reports import MAX_BATCH

__all__ = ["CSV_COLUMNS", "BulkSubmit", "Counts", "count_records", "read_reports"]

# One report per row; empty cells are left out. Hash columns fill `content.hashes`.
CSV_COLUMNS = (
    "reference",
    "url",
    "kind",
    "classification",
    "age_group",
    "site_type",
    "observed_at",
    "hosting_ip",
    "sha256",
    "sha1",
    "md5",
    "pdq",
    "pdq_quality",
    "photodna",
)
HASH_COLUMNS = ("sha256", "sha1", "md5", "pdq", "photodna")
OUTCOMES = ("routed", "joined", "domestic", "unassigned", "rejected")


@dataclass
class Counts:
    """What became of the reports: one outcome each, and how many were replays."""

    routed: int = 0
    joined: int = 0
    domestic: int = 0
    unassigned: int = 0
    rejected: int = 0
    replayed: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, outcome) for outcome in OUTCOMES)

    def add(self, result: SubmittedReport | RejectedReport | None) -> str:
        outcome = outcome_of(result)
        setattr(self, outcome, getattr(self, outcome) + 1)
        if isinstance(result, SubmittedReport) and not result.created:
            self.replayed += 1
        return outcome

    def as_dict(self) -> dict[str, int]:
        return {**{o: getattr(self, o) for o in OUTCOMES}, "replayed": self.replayed}


def outcome_of(result: SubmittedReport | RejectedReport | None) -> str:
    if not isinstance(result, SubmittedReport):
        return "rejected"
    if not result.case.opened:
        return "joined"
    if result.routing.reason == "hosting_country":
        return "routed"
    if result.routing.reason == "domestic":
        return "domestic"
    return "unassigned"


@dataclass(frozen=True)
class Line:
    """One input record: its line number, and the report or why it could not be read."""

    number: int
    report: dict[str, Any] | None
    problem: str | None = None


def _jsonl(stream: IO[bytes]) -> Iterator[Line]:
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a BOM, as some editors write
        if not raw.strip():
            continue
        try:
            body = json.loads(raw)
        except ValueError as error:
            yield Line(number, None, f"not JSON: {error}")
            continue
        if not isinstance(body, dict):
            yield Line(number, None, "not a JSON object")
            continue
        yield Line(number, body)


def csv_report(row: dict[str, str]) -> dict[str, Any]:
    """A report body from one CSV row (columns: CSV_COLUMNS)."""
    unknown = set(row) - set(CSV_COLUMNS)
    if None in row or unknown:
        raise ValueError(f"unknown columns {sorted(str(c) for c in unknown)}")
    cells = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    hashes: list[dict[str, Any]] = []
    for alg in HASH_COLUMNS:
        if alg in cells:
            entry: dict[str, Any] = {"alg": alg, "value": cells[alg]}
            if alg == "pdq":
                quality = cells.get("pdq_quality", "")
                entry["quality"] = int(quality) if quality.isdigit() else quality
            hashes.append(entry)
    return report_body(
        reference=cells.get("reference"),
        url=cells.get("url"),
        kind=cells.get("kind", "image"),
        hashes=hashes,
        classification=cells.get("classification"),
        age_group=cells.get("age_group"),
        site_type=cells.get("site_type"),
        observed_at=cells.get("observed_at"),
        hosting_ip=cells.get("hosting_ip"),
    )


def _csv(stream: IO[bytes]) -> Iterator[Line]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown:
        # Refused before anything is sent: every row would fail the same way.
        raise ValueError(f"unknown CSV columns {sorted(unknown)}; known: {', '.join(CSV_COLUMNS)}")
    for row in reader:
        try:
            yield Line(reader.line_num, csv_report(row))
        except ValueError as error:
            yield Line(reader.line_num, None, str(error))


def read_reports(stream: IO[bytes], fmt: str) -> Iterator[Line]:
    """Each record of a JSONL or CSV stream, with its line number."""
    return _csv(stream) if fmt == "csv" else _jsonl(stream)


def count_records(path: Path, fmt: str) -> int:
    """About how many records a file holds (its lines, less a CSV header), for progress."""
    lines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(0, lines - (fmt == "csv"))


def _last_progress(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    last = None
    for raw in path.read_text().splitlines():
        try:
            last = json.loads(raw)
        except ValueError:
            continue  # a line cut short by an interruption
    return last


@dataclass
class BulkSubmit:
    """Sends a file's reports in batches and records progress after each batch."""

    hub: HubClient
    source: Path
    fmt: str = "jsonl"
    batch_size: int = MAX_BATCH
    progress_file: Path | None = None
    errors_file: Path | None = None
    resume: bool = False
    counts: Counts = field(default_factory=Counts)
    done_line: int = 0
    skipped: int = 0
    sent: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch size must be 1..{MAX_BATCH}")
        if self.progress_file is None:
            self.progress_file = self.source.with_name(self.source.name + ".progress")
        if self.resume:
            last = _last_progress(self.progress_file)
            if last is not None:
                self.done_line = int(last["line"])
                self.counts = Counts(**last["counts"])

    def run(self, advance: Callable[[int], None] | None = None) -> Counts:
        """Submits every record after `done_line`; `advance(records)` after each batch.

        One request is in flight at a time, as with a plain loop, but the next batch is
        read and queued while it is, and sent the moment its answer is in: reading the
        file and checking answers stay off the hub's critical path.
        """
        assert self.progress_file is not None
        mode = "a" if self.resume else "w"
        errors = self.errors_file.open(mode) if self.errors_file else None
        progress = self.progress_file.open(mode)
        sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubctl-submit")
        pending: deque[_Sending] = deque()
        try:
            with self.source.open("rb") as stream:
                for batch in self._batches(stream):
                    pending.append(self._dispatch(sender, batch))
                    if len(pending) > 1:
                        self._confirm(pending.popleft(), errors, progress, advance)
            while pending:
                self._confirm(pending.popleft(), errors, progress, advance)
        finally:
            # On an error or Ctrl-C, batches not yet sent are dropped, not sent behind our back.
            sender.shutdown(wait=True, cancel_futures=True)
            progress.close()
            if errors:
                errors.close()
        return self.counts

    def _batches(self, stream: IO[bytes]) -> Iterator[list[Line]]:
        batch: list[Line] = []
        for line in read_reports(stream, self.fmt):
            if line.number <= self.done_line:
                self.skipped += 1
                continue
            batch.append(line)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _dispatch(self, sender: ThreadPoolExecutor, batch: list[Line]) -> _Sending:
        reports = {line.number: line.report for line in batch if line.report is not None}
        if not reports:
            return _Sending(batch, [], None)
        # The sender only sends (with the SDK's retries); answers are read in _confirm.
        answer = sender.submit(self.hub.reports.send_batch, reports.values())
        return _Sending(batch, list(reports), answer)

    def _confirm(
        self,
        sending: _Sending,
        errors: IO[str] | None,
        progress: IO[str],
        advance: Callable[[int], None] | None,
    ) -> None:
        results: dict[int, SubmittedReport | RejectedReport] = {}
        if sending.answer is not None:
            answers = sending.answer.result().results()
            results = dict(zip(sending.readable, answers, strict=True))
        for line in sending.batch:
            result = results.get(line.number)
            self.counts.add(result)
            if errors is not None and not isinstance(result, SubmittedReport):
                errors.write(json.dumps(_error_record(line, result)) + "\n")
        if errors is not None:
            errors.flush()
        self.done_line = sending.batch[-1].number
        self.sent += len(sending.batch)
        # Written only once the hub has answered for the whole batch: a resume skips it.
        progress.write(json.dumps({"line": self.done_line, "counts": self.counts.as_dict()}) + "\n")
        progress.flush()
        if advance:
            advance(len(sending.batch))


@dataclass(frozen=True)
class _Sending:
    """A batch on its way: its lines, the numbers of those sent, and the answer to come."""

    batch: list[Line]
    readable: list[int]
    answer: Future[SentBatch] | None


def _error_record(line: Line, result: RejectedReport | None) -> dict[str, Any]:
    if result is None:
        problem: dict[str, Any] = {
            "title": "Unreadable line",
            "status": 400,
            "detail": line.problem,
        }
        reference = None
    else:
        problem = result.model_dump(exclude={"index", "reference"}, exclude_none=True)
        reference = result.reference
    return {"line": line.number, "reference": reference, "problem": problem}
