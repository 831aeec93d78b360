"""SIGKILL of one of three `serve` processes while racing reports stream in: requests to
it fail at connection level, the others never answer 5xx; afterwards nothing acknowledged
is lost, a resent request is answered, every referral is pushed once, and the survivors
serve a signed checkpoint of a gapless log that holds every acknowledged report."""

import secrets
import signal
import threading
from collections import Counter
from typing import Any

import pytest

from tests.conftest import POSTGRES_URL
from tests.contention import audit
from tests.contention.conftest import REPORTERS, Answer, Exchange, body

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL,
        reason="contention between processes needs PostgreSQL: set HUB_TEST_DATABASE_URL",
    ),
]

VICTIM = 2
URLS = 60  # every reporter reports each URL; the last reporter in batches of BATCH URLs
BATCH = 5
STREAMS = 12  # requests in flight at once


def requests() -> list[tuple[str, int, list[dict[str, Any]]]]:
    """(hotline, process, bodies) in sending order: the reports of one URL side by side, so
    they race on its case and on its content's sha256."""
    batcher = REPORTERS[-1]
    planned = []
    for first in range(0, URLS, BATCH):
        batch = []
        for u in range(first, first + BATCH):
            url, sha256 = f"https://files.example.net/kill/{u}", secrets.token_hex(32)
            for h, hotline in enumerate(REPORTERS[:-1]):
                planned.append((hotline, (u + h) % 3, [body(f"{hotline}-k{u}", url, sha256)]))
            batch.append(body(f"{batcher}-k{u}", url, sha256))
        planned.append((batcher, (first // BATCH) % 3, batch))
    return planned


def stream(
    exchange: Exchange, planned: list[tuple[str, int, list[dict[str, Any]]]], kill_after: int
) -> tuple[list[Answer], int]:
    """Sends `planned` from STREAMS threads; SIGKILLs the victim once `kill_after` requests
    have been answered. The answers, and how many requests had been sent at the kill."""
    answers: list[Answer] = []
    lock, answered = threading.Lock(), threading.Event()
    queue = iter(planned)

    def send() -> None:
        while True:
            with lock:
                request = next(queue, None)
            if request is None:
                return
            hotline, process, bodies = request
            got = (
                exchange.batch(hotline, process, bodies)
                if hotline == REPORTERS[-1]
                else exchange.post(hotline, process, bodies[0])
            )
            with lock:
                answers.extend(got)
                if len({(a.hotline, a.reference) for a in answers}) >= kill_after:
                    answered.set()

    threads = [threading.Thread(target=send) for _ in range(STREAMS)]
    for thread in threads:
        thread.start()
    answered.wait(timeout=60)
    victim = exchange.cluster.serves[VICTIM]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    with lock:
        sent_at_kill = len(answers)
    for thread in threads:
        thread.join()
    return answers, sent_at_kill


def test_a_serve_process_killed_mid_load_loses_nothing_acknowledged(exchange: Exchange) -> None:
    planned = requests()
    items = sum(len(bodies) for _, _, bodies in planned)
    answers, at_kill = stream(exchange, planned, kill_after=items // 3)
    assert at_kill < items, "the load ended before the kill"

    refused = [a for a in answers if a.status is None]
    assert refused, "no request to the killed process failed: it died after the load"
    dropped = Counter((a.process, a.error) for a in refused if a.process != VICTIM)
    assert not dropped, f"survivors failed at connection level (process, error): {dict(dropped)}"
    failed = Counter(
        (a.process, a.status, (a.body or {}).get("title"))
        for a in answers
        if a.status not in (200, 201, None)
    )
    assert not failed, f"answers other than 200/201 (process, status, title): {dict(failed)}"

    # A client resends what got no answer to a survivor; the reference makes it idempotent.
    sent = {b["reference"]: b for _, _, bodies in planned for b in bodies}
    resent = [
        answer
        for n, failure in enumerate(refused)
        for answer in exchange.post(failure.hotline, n % 2, sent[failure.reference])
    ]
    assert {a.status for a in resent} <= {200, 201}, Counter(a.status for a in resent)
    acknowledged = [a for a in answers if a.status in (200, 201)] + resent

    stored = {
        (hotline, reference)
        for hotline, reference in exchange.rows("SELECT hotline_id, reference FROM reports")
    }
    assert {(a.hotline, a.reference) for a in acknowledged} <= stored
    assert not exchange.rows("SELECT url_key FROM cases GROUP BY url_key HAVING count(*) > 1")
    assert not exchange.rows(
        "SELECT id FROM contents c WHERE NOT EXISTS"
        " (SELECT 1 FROM content_hashes h WHERE h.content_id = c.id)"
    )
    for key in ("case", "content"):  # every URL's reports share one case and one content
        ids: dict[str, set[str]] = {}
        for a in acknowledged:
            ids.setdefault(sent[a.reference]["url"], set()).add(a.report[key]["id"])
        assert all(len(of_url) == 1 for of_url in ids.values()), key

    referrals = {a.report["routing"]["referral"] for a in acknowledged} - {None}
    assert len(referrals) == URLS
    pushes = exchange.pushes_delivering(referrals)
    assert all(count == 1 for count in Counter(p.id for p in pushes).values())

    firsts = [a for a in acknowledged if a.status == 201]
    tree = audit.checkpoint_covering(exchange, [a.report for a in firsts], [0, 1])
    assert not audit.logged_once_each(tree, [a.report for a in firsts], [a.hotline for a in firsts])
    received = {(e["actor"], e["case"]) for e in tree.events if e["type"] == "report.received"}
    assert {(a.hotline, a.report["case"]["id"]) for a in acknowledged} <= received
