"""Near-identical new PDQ hashes sent at the same instant to several `serve` processes on
one database (PostgreSQL when HUB_TEST_DATABASE_URL is set) end as one content, and a
process started later loads every hash the others committed."""

import random
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, free_port, report
from tests.support.processes import serve_processes

PROCESSES = 3
RACERS = 6
ROUNDS = 8


def near(base: int, rng: random.Random) -> str:
    """base with up to 12 of its bits flipped: every two are within 24 bits of each other."""
    value = base
    for bit in rng.sample(range(256), rng.randrange(1, 13)):
        value ^= 1 << bit
    return f"{value:064x}"


def pdq_report(reference: str, pdq: str) -> dict:
    hashes = [
        {"alg": "sha256", "value": secrets.token_hex(32)},
        {"alg": "pdq", "value": pdq, "quality": 90},
    ]
    return report(
        reference,
        url=f"https://files.example.net/{reference}",
        content={"kind": "image", "hashes": hashes},
    )


def test_racing_near_duplicates_on_several_processes_make_one_content(settings: Settings) -> None:
    rng = random.Random(20261201)
    bases = [rng.getrandbits(256) for _ in range(ROUNDS)]
    with serve_processes(settings, [free_port() for _ in range(PROCESSES)]) as urls:
        with httpx.Client(
            base_url=urls[0], headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as admin:
            body = {"id": "GB-IWF", "name": "IWF", "countries": ["GB"]}
            assert admin.post("/v1/hotlines", json=body).status_code == 201
            grant = {"principal": "hotline", "subject": "GB-IWF"}
            token = admin.post("/v1/tokens", json=grant).json()["token"]
        clients = [
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            for url in urls
        ]

        contents_per_round = []
        for round_no, base in enumerate(bases):
            barrier = threading.Barrier(RACERS)
            bodies = [pdq_report(f"R{round_no}-{job}", near(base, rng)) for job in range(RACERS)]

            def send(
                job: int, bodies: list[dict] = bodies, barrier: threading.Barrier = barrier
            ) -> dict:
                barrier.wait()
                answer = clients[job % PROCESSES].post("/v1/reports", json=bodies[job])
                assert answer.status_code == 201, answer.text
                return answer.json()["content"]

            with ThreadPoolExecutor(RACERS) as pool:
                contents = list(pool.map(send, range(RACERS)))
            contents_per_round.append(contents)
            assert len({c["id"] for c in contents}) == 1, contents
            # Exactly one of the racers made the content; the others matched it by PDQ.
            assert sorted(c["known"] for c in contents) == [False] + [True] * (RACERS - 1)
            assert all(c["match"]["alg"] == "pdq" for c in contents if c["known"])
        for client in clients:
            client.close()
        first_content = contents_per_round[0][0]["id"]

        with (
            serve_processes(settings, [free_port()]) as [late],
            httpx.Client(base_url=late, headers={"Authorization": f"Bearer {token}"}) as client,
        ):
            answer = client.post("/v1/reports", json=pdq_report("LATE", near(bases[0], rng)))
    assert answer.status_code == 201, answer.text
    assert answer.json()["content"]["known"] is True
    assert answer.json()["content"]["id"] == first_content
