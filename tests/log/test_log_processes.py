"""Several `serve` processes appending to one log at once (PostgreSQL when
HUB_TEST_DATABASE_URL is set, else one SQLite file): one gapless sequence, one tree."""

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, free_port, report
from tests.log import independent
from tests.log.vectors import generate
from tests.support.processes import serve_processes

REPORTERS = ["GB-IWF", "DE-ECO", "FR-PDC"]
REPORTS_EACH = 20


def test_concurrent_appends_on_three_processes_make_one_gapless_log(settings: Settings) -> None:
    with serve_processes(settings, [free_port() for _ in range(3)]) as urls:
        admins = [
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            for url in urls
        ]
        tokens = {}
        for n, hotline in enumerate(["NL-MELDPUNT", *REPORTERS]):
            body = {"id": hotline, "name": hotline, "countries": [hotline[:2]]}
            assert admins[n % 3].post("/v1/hotlines", json=body).status_code == 201
            token = {"principal": "hotline", "subject": hotline}
            tokens[hotline] = admins[0].post("/v1/tokens", json=token).json()["token"]
        auditor_token = (
            admins[0]
            .post("/v1/tokens", json={"principal": "auditor", "subject": "board"})
            .json()["token"]
        )

        def send(job: int) -> int:
            hotline = REPORTERS[job % len(REPORTERS)]
            headers = {"Authorization": f"Bearer {tokens[hotline]}"}
            with httpx.Client(base_url=urls[job % 3], headers=headers, timeout=60) as client:
                body = report(f"P-{job}", url=f"https://files.example.net/p/{job}")
                return client.post("/v1/reports", json=body).status_code

        jobs = REPORTS_EACH * len(REPORTERS)
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(send, range(jobs)))
        assert statuses == [201] * jobs

        auditors = [
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {auditor_token}"})
            for url in urls
        ]
        [key] = auditors[0].get("/v1/keys").json()["keys"]
        notes = [auditor.get("/v1/log/checkpoint").text for auditor in auditors]
        size = 4 + 3 * jobs
        items = []
        while len(items) < size:
            page = auditors[len(items) % 3].get(
                "/v1/log/entries", params={"start": len(items), "end": size}
            )
            items += page.json()["items"]
        for client in admins + auditors:
            client.close()

    leaves = [base64.b64decode(item["leaf_input"]) for item in items]
    assert [json.loads(leaf)["seq"] for leaf in leaves] == list(range(size))
    assert sorted(json.loads(leaf)["type"] for leaf in leaves).count("report.received") == jobs
    # Ed25519 is deterministic: every process signs the same tree into the same note.
    assert len(set(notes)) == 1
    _, checkpoint_size, root = independent.open_checkpoint(notes[0], key["note_verifier_key"])
    assert (checkpoint_size, root) == (size, generate.mth(leaves))
