"""Two `serve` processes importing into the same list at once (PostgreSQL when
HUB_TEST_DATABASE_URL is set): each import is a version of its own, whole, numbered
apart; and each process matches the PDQ hashes the other one published."""

import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from hub.db import make_engine
from hub.lists.models import ListEntry
from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, free_port, report
from tests.support.processes import serve_processes

PARTS = 4
PART_SIZE = 300
NDJSON = {"content-type": "application/x-ndjson"}


def import_version(url: str, pdq: str, barrier: threading.Barrier) -> tuple[int, set[str]]:
    """Opens a version through one process, sends its parts, publishes it."""
    values = [secrets.token_hex(20) for _ in range(PARTS * PART_SIZE - 1)]
    lines = [{"alg": "sha1", "value": v, "category": "B1"} for v in values]
    lines.append({"alg": "pdq", "value": pdq, "quality": 90, "category": "A1"})
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as admin:
        barrier.wait()
        opened = admin.post("/v1/lists/shared/versions")
        assert opened.status_code == 201, opened.text
        number = opened.json()["version"]
        path = f"/v1/lists/shared/versions/{number}/entries"
        for part in range(PARTS):
            chunk = lines[part * PART_SIZE : (part + 1) * PART_SIZE]
            body = "".join(json.dumps(line) + "\n" for line in chunk).encode()
            query = {"part": part + 1, "first_line": part * PART_SIZE + 1}
            sent = admin.post(path, params=query, content=body, headers=NDJSON)
            assert sent.status_code == 201, sent.text
        published = admin.post(f"/v1/lists/shared/versions/{number}:publish")
        assert published.status_code == 200, published.text
    return number, {*values, pdq}


def test_two_processes_importing_into_one_list_keep_each_version_whole(
    settings: Settings,
) -> None:
    pdqs = [secrets.token_hex(32) for _ in range(2)]
    with serve_processes(settings, [free_port(), free_port()]) as urls:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        with httpx.Client(base_url=urls[0], headers=headers, timeout=60) as admin:
            body = {"id": "shared", "name": "Shared", "source": "local"}
            assert admin.post("/v1/lists", json=body).status_code == 201
            assert admin.post(
                "/v1/hotlines", json={"id": "GB-IWF", "name": "IWF", "countries": ["GB"]}
            )
            grant = {"principal": "hotline", "subject": "GB-IWF"}
            token = admin.post("/v1/tokens", json=grant).json()["token"]
            barrier = threading.Barrier(2)
            with ThreadPoolExecutor(2) as pool:
                jobs = [
                    pool.submit(import_version, u, p, barrier)
                    for u, p in zip(urls, pdqs, strict=True)
                ]
                imports = [job.result() for job in jobs]
            status = admin.get("/v1/lists/shared").json()

        # Each process matches, by PDQ, the hash the other process imported.
        for index, url in enumerate(urls):
            other = pdqs[1 - index]
            near = f"{int(other, 16) ^ 0b1011:064x}"  # 3 bits away
            hashes = [{"alg": "pdq", "value": near, "quality": 90}]
            sent = report(
                f"SHARED-{index}",
                url=f"https://files.example.net/shared/{index}",
                content={"kind": "image", "hashes": hashes},
            )
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as iwf:
                answer = iwf.post("/v1/reports", json=sent)
            assert answer.status_code == 201, answer.text
            match = answer.json()["content"]["match"]
            assert match["alg"] == "pdq" and match["distance"] == 3
            assert match["lists"] == [{"id": "shared", "category": "A1"}]

    assert sorted(number for number, _ in imports) == [1, 2]
    versions = {v["version"]: v for v in status["versions"]}
    assert {v["state"] for v in versions.values()} == {"published"}
    assert status["entries"] == 2 * PARTS * PART_SIZE
    engine = make_engine(settings)
    with engine.connect() as connection:
        for number, values in imports:
            stored = connection.execute(
                select(ListEntry.value).where(
                    ListEntry.list_id == "shared", ListEntry.version == number
                )
            ).scalars()
            assert set(stored) == values  # every entry of the import, none of the other's
            assert versions[number]["entries"] == versions[number]["parts"] * PART_SIZE
        total = connection.execute(select(func.count()).select_from(ListEntry)).scalar()
    engine.dispose()
    assert total == 2 * PARTS * PART_SIZE
