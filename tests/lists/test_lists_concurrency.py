"""Racing parts of one import, retried parts and a publish in the middle: the version's
count is exactly what it holds, each part is taken once, nothing lands after publish."""

import json
import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from hub.db import make_engine
from hub.lists.models import ListEntry
from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread

NDJSON = {"content-type": "application/x-ndjson", "authorization": f"Bearer {ADMIN_TOKEN}"}


def part_body(size: int) -> bytes:
    return b"".join(
        json.dumps({"alg": "sha1", "value": secrets.token_hex(20)}).encode() + b"\n"
        for _ in range(size)
    )


def test_racing_parts_and_a_publish_keep_a_version_whole(
    api: Hub, hub: ServerThread, settings: Settings
) -> None:
    assert api.admin.post("/v1/lists", json={"id": "race", "name": "r", "source": "local"})
    version = api.admin.post("/v1/lists/race/versions").json()["version"]
    bodies = {part: part_body(200) for part in range(1, 25)}
    path = f"{hub.url}/v1/lists/race/versions/{version}/entries"

    def send(part: int) -> int:
        with httpx.Client(timeout=120) as client:
            answer = client.post(f"{path}?part={part}", content=bodies[part], headers=NDJSON)
        return answer.status_code

    def publish() -> int:
        return api.admin.post(f"/v1/lists/race/versions/{version}:publish").status_code

    # Every part twice, at once, and the publish racing with them.
    with ThreadPoolExecutor(max_workers=16) as pool:
        sent = [pool.submit(send, part) for part in list(bodies) * 2]
        published = pool.submit(publish)
        codes = [future.result() for future in sent]
    assert published.result() == 200
    assert set(codes) <= {200, 201, 409}, codes
    taken = {part for part, code in zip(list(bodies) * 2, codes, strict=True) if code == 201}
    assert codes.count(201) == len(taken)  # no part was taken twice

    status = api.admin.get(f"/v1/lists/race/versions/{version}").json()
    engine = make_engine(settings)
    with engine.connect() as connection:
        stored = connection.execute(
            select(func.count()).select_from(ListEntry).where(ListEntry.list_id == "race")
        ).scalar()
    engine.dispose()
    assert status["parts"] == len(taken)
    assert status["entries"] == stored == 200 * len(taken)
    late = httpx.post(f"{path}?part=99", content=part_body(1), headers=NDJSON, timeout=60)
    assert late.status_code == 409
