"""Bulk submission of a 10k-line JSONL file: killed in the middle, resumed with
--resume, and every report is on the hub exactly once."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from clients import HubClient
from clients.cli import app
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread, report

ROOT = Path(__file__).resolve().parents[2]
LINES = 10_000


def write_reports(path: Path, count: int) -> None:
    # Hosted in DE, where no hotline is registered: each report is a new unassigned case.
    with path.open("w") as out:
        for index in range(count):
            body = report(f"BULK-{index:05d}", url=f"https://images.example.de/{index}")
            out.write(json.dumps(body) + "\n")


def reports_on_hub(url: str) -> int:
    with HubClient(url, ADMIN_TOKEN) as admin:
        return admin.stats().cases.total


def test_an_interrupted_bulk_submission_resumes_without_duplicates(
    hub: ServerThread, api: Hub, tmp_path: Path
) -> None:
    api.register("GB-IWF", ["GB"])
    token = api.token("hotline", "GB-IWF")
    source = tmp_path / "reports.jsonl"
    write_reports(source, LINES)
    progress = tmp_path / "reports.jsonl.progress"
    env = {**os.environ, "HUB_URL": hub.url, "HUB_TOKEN": token, "PYTHONPATH": str(ROOT)}

    first = subprocess.Popen(
        [sys.executable, "-m", "clients.cli", "submit", "--file", str(source), "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.poll() is None:
        if progress.exists() and len(progress.read_text().splitlines()) >= 3:
            break
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    confirmed = json.loads(progress.read_text().splitlines()[-1])["line"]
    assert 3000 <= confirmed < LINES, "the first run should be stopped half way"
    assert reports_on_hub(hub.url) >= confirmed

    resumed = CliRunner().invoke(
        app,
        ["submit", "--file", str(source), "--resume", "--json"],
        env={"HUB_URL": hub.url, "HUB_TOKEN": token, "XDG_CONFIG_HOME": str(tmp_path)},
    )

    assert resumed.exit_code == 0, resumed.output
    summary = json.loads(resumed.stdout)
    assert summary["skipped"] == confirmed
    assert summary["total"] == LINES and summary["unassigned"] == LINES
    assert summary["rejected"] == 0
    assert reports_on_hub(hub.url) == LINES
    with HubClient(hub.url, token) as iwf:
        references = [r.reference for r in iwf.reports.list(limit=1000)]
    assert len(references) == len(set(references)) == LINES
