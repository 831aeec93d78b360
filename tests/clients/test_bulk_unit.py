"""Bulk submission against an in-memory hub: a failure part way stops the run with
progress at the last confirmed batch, and a resume completes it with no duplicate."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from clients import HubClient, errors
from clients._bulk import BulkSubmit, count_records
from tests.conftest import report


class MemoryHub:
    """`POST /v1/reports:batch` with idempotent references; fails batch `fail_at` once."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.references: dict[str, int] = {}
        self.requests = 0
        self.fail_at = fail_at

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests == self.fail_at:
            self.fail_at = None
            return httpx.Response(401, json={"title": "token revoked", "status": 401})
        results: list[dict[str, Any]] = []
        for body in json.loads(request.content)["reports"]:
            if "url" not in body:
                results.append(
                    {
                        "title": "Request is not valid",
                        "status": 422,
                        "errors": [{"loc": ["url"], "msg": "missing"}],
                    }
                )
                continue
            replay = body["reference"] in self.references
            self.references.setdefault(body["reference"], len(self.references))
            results.append(
                {
                    "id": f"rpt_{self.references[body['reference']]}",
                    "reference": body["reference"],
                    "received_at": "2026-11-29T10:00:00Z",
                    "case": {"id": "cas_1", "opened": True, "status": "pending"},
                    "content": {"id": "cnt_1", "known": False},
                    "hosting": {"source": "unresolvable"},
                    "routing": {"reason": "unresolvable"},
                    "status": 200 if replay else 201,
                }
            )
        return httpx.Response(200, json={"results": results})


def write(path: Path, count: int) -> None:
    with path.open("w") as out:
        for index in range(count):
            out.write(json.dumps(report(f"R-{index}", url=f"https://x.example/{index}")) + "\n")
        out.write('{"reference": "no-url"}\n\nnot json\n')


def test_a_failure_stops_at_the_last_confirmed_batch_and_resume_finishes(tmp_path: Path) -> None:
    source = tmp_path / "reports.jsonl"
    write(source, 5000)
    hub = MemoryHub(fail_at=3)
    client = HubClient(
        "https://hub.example.org", "t", transport=httpx.MockTransport(hub.handle), max_retries=0
    )

    first = BulkSubmit(client, source, batch_size=1000)
    with pytest.raises(errors.Unauthorized):
        first.run()
    progress = [
        json.loads(line) for line in (tmp_path / "reports.jsonl.progress").read_text().splitlines()
    ]
    assert [p["line"] for p in progress] == [1000, 2000]
    assert hub.requests <= 4  # at most the batch queued behind the failed one went out

    errors_file = tmp_path / "errors.jsonl"
    resumed = BulkSubmit(client, source, batch_size=1000, resume=True, errors_file=errors_file)
    counts = resumed.run()
    assert resumed.skipped == 2000
    assert counts.total == 5002 and counts.unassigned == 5000 and counts.rejected == 2
    assert len(hub.references) == 5000
    rejected = [json.loads(line) for line in errors_file.read_text().splitlines()]
    assert [(r["line"], r["problem"]["status"]) for r in rejected] == [(5001, 422), (5003, 400)]


def test_record_counting_for_the_progress_bar(tmp_path: Path) -> None:
    source = tmp_path / "r.csv"
    source.write_text("reference,url\na,b\nc,d")
    assert count_records(source, "csv") == 2
    source.write_text("x\ny\n")
    assert count_records(source, "jsonl") == 2
