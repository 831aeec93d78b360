"""Racing hotlines on three `serve` processes and two workers sharing one PostgreSQL
database: in every round four hotlines send the same 20 URLs at once, each reference
twice, and the same sha256 on URLs of their own, by single POSTs and batches spread over
the processes. Whatever the timing: no 5xx, one case per URL, one content per hash, one
report per reference, every referral pushed once, and every report in a signed checkpoint.
"""

import json
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import POSTGRES_URL
from tests.contention import audit
from tests.contention.conftest import RECEIVER, REPORTERS, Answer, Exchange, at_once, body

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL,
        reason="contention between processes needs PostgreSQL: set HUB_TEST_DATABASE_URL",
    ),
]

ROUNDS = 3
URLS = 20  # URLs every reporter sends in a round, each reference twice
SHARED = 8  # sha256 values every reporter sends in a round, each on a URL of its own
BATCHES = 2  # batches per batching reporter and round


def one_round(exchange: Exchange, number: int) -> tuple[list[Answer], dict[str, tuple[str, str]]]:
    """Fires one round at once; its answers, and the URL and sha256 of each reference."""
    url_sha = [secrets.token_hex(32) for _ in range(URLS)]
    shared_sha = [secrets.token_hex(32) for _ in range(SHARED)]
    sent: dict[str, tuple[str, str]] = {}
    calls: list[Callable[[], list[Answer]]] = []

    def item(reference: str, url: str, sha256: str) -> dict[str, Any]:
        sent[reference] = (url, sha256)
        return body(reference, url, sha256)

    for h, hotline in enumerate(REPORTERS):
        racing = [
            item(f"{hotline}-{number}-u{i}", f"https://files.example.net/{number}/u{i}", sha)
            for i, sha in enumerate(url_sha)
        ]
        shared = [
            item(f"{hotline}-{number}-s{j}", f"https://files.example.net/{number}/s{j}/{h}", sha)
            for j, sha in enumerate(shared_sha)
        ]
        for i, racer in enumerate(racing):
            calls.append(lambda h=h, r=racer, p=(h + i) % 3: exchange.post(REPORTERS[h], p, r))
        if h % 2 == 0:  # the second copies and the shared hashes by single POSTs
            for i, racer in enumerate(racing):
                process = (h + i + 1) % 3
                calls.append(lambda h=h, r=racer, p=process: exchange.post(REPORTERS[h], p, r))
            for j, sharer in enumerate(shared):
                calls.append(lambda h=h, s=sharer, p=(h + j) % 3: exchange.post(REPORTERS[h], p, s))
        else:  # the second copies and the shared hashes in batches
            urls, shas = URLS // BATCHES, SHARED // BATCHES
            for b in range(BATCHES):
                items = racing[b * urls : (b + 1) * urls] + shared[b * shas : (b + 1) * shas]
                process = (h + b + 1) % 3
                calls.append(lambda h=h, i=items, p=process: exchange.batch(REPORTERS[h], p, i))
    return at_once(calls), sent


def without_status(report: dict[str, Any]) -> dict[str, Any]:
    """A report answer less its case's status, which a push may change between two reads."""
    return {**report, "case": {**report["case"], "status": None}}


def check_answers(answers: list[Answer], sent: dict[str, tuple[str, str]]) -> list[str]:
    """What the reporters saw that breaks the protocol, one line per kind of breakage."""
    problems = []
    failed = Counter(
        (a.status, (a.body or {}).get("title", a.error))
        for a in answers
        if a.status not in (200, 201)
    )
    if failed:
        problems.append(f"{sum(failed.values())} of {len(answers)} reports failed: {dict(failed)}")
    good = [a for a in answers if a.status in (200, 201)]

    by_reference: dict[tuple[str, str], list[Answer]] = defaultdict(list)
    for answer in good:
        by_reference[(answer.hotline, answer.reference)].append(answer)
    split, unequal, firsts = 0, 0, Counter[int]()
    for copies in by_reference.values():
        split += len({a.report["id"] for a in copies}) > 1
        unequal += len({json.dumps(without_status(a.report), sort_keys=True) for a in copies}) > 1
        firsts[sum(a.status == 201 for a in copies)] += 1
    if split:
        problems.append(f"{split} references answered with two report ids")
    if unequal:
        problems.append(f"{unequal} replays answered a body other than the first answer's")
    if set(firsts) != {1}:
        problems.append(f"references by number of 201 answers: {dict(firsts)} (want one each)")

    reports = {a.report["id"]: (a.reference, a.report) for a in good if a.status == 201}
    cases: dict[str, set[str]] = defaultdict(set)
    openers: Counter[str] = Counter()
    referrals: dict[str, set[Any]] = defaultdict(set)
    contents: dict[str, set[str]] = defaultdict(set)
    unknown: Counter[str] = Counter()
    for reference, answer in reports.values():
        url, sha256 = sent[reference]
        cases[url].add(answer["case"]["id"])
        openers[url] += answer["case"]["opened"]
        referrals[url].add((answer["routing"]["to"], answer["routing"]["referral"]))
        contents[sha256].add(answer["content"]["id"])
        unknown[sha256] += not answer["content"]["known"]
    if any(len(ids) != 1 for ids in cases.values()):
        problems.append(f"{sum(len(ids) > 1 for ids in cases.values())} URLs got several cases")
    if set(openers.values()) != {1}:
        problems.append(
            f"URLs by number of reports that opened their case: {Counter(openers.values())}"
        )
    if any(len(r) != 1 or next(iter(r))[0] != RECEIVER for r in referrals.values()):
        problems.append("a URL's reports name several referrals, or none")
    if any(len(ids) != 1 for ids in contents.values()):
        problems.append(
            f"{sum(len(ids) > 1 for ids in contents.values())} of {len(contents)} sha256 values "
            "got several content ids"
        )
    if set(unknown.values()) != {1}:
        problems.append(
            f"sha256 values by number of reports saying known: false: {Counter(unknown.values())}"
        )
    return problems


def check_database(
    exchange: Exchange, answers: list[Answer], sent: dict[str, tuple[str, str]]
) -> list[str]:
    """The rows behind the answers: one of each, nothing left over."""
    problems = []
    references = {(a.hotline, a.reference) for a in answers}
    [(reports,)] = exchange.rows("SELECT count(*) FROM reports")
    if reports != len(references):
        problems.append(f"{reports} reports stored for {len(references)} references")
    doubled = exchange.rows("SELECT url_key FROM cases GROUP BY url_key HAVING count(*) > 1")
    if doubled:
        problems.append(f"{len(doubled)} URLs have several cases")
    orphans = exchange.rows(
        "SELECT id FROM contents c WHERE NOT EXISTS"
        " (SELECT 1 FROM content_hashes h WHERE h.content_id = c.id)"
    )
    if orphans:
        problems.append(f"{len(orphans)} contents rows have no hash")
    [(contents,)] = exchange.rows("SELECT count(*) FROM contents")
    hashes = {sha256 for _, sha256 in sent.values()}
    if contents != len(hashes):
        problems.append(f"{contents} contents for {len(hashes)} sha256 values")
    hash_owner = dict(
        exchange.rows("SELECT value, content_id FROM content_hashes WHERE alg = 'sha256'")
    )
    answered = {
        (sent[a.reference][1], a.report["content"]["id"]) for a in answers if a.status in (200, 201)
    }
    if any(hash_owner.get(sha) != content for sha, content in answered):
        problems.append("reports name a content other than the one their sha256 is bound to")
    unreferred = exchange.rows(
        "SELECT c.id FROM cases c LEFT JOIN referrals r ON r.case_id = c.id"
        " GROUP BY c.id HAVING count(r.id) != 1"
    )
    if unreferred:
        problems.append(f"{len(unreferred)} cases do not have exactly one referral")
    return problems


def test_racing_hotlines_on_three_processes_see_no_5xx_and_get_one_of_everything(
    exchange: Exchange,
) -> None:
    answers: list[Answer] = []
    sent: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for number in range(ROUNDS):
        round_answers, round_sent = one_round(exchange, number)
        problems += [f"round {number}: {line}" for line in check_answers(round_answers, round_sent)]
        answers += round_answers
        sent |= round_sent
    problems += check_database(exchange, answers, sent)

    acknowledged = [a for a in answers if a.status == 201]
    referrals = {a.report["routing"]["referral"] for a in acknowledged} - {None}
    pushes = exchange.pushes_delivering(referrals)
    pushed = Counter(p.id for p in pushes)
    if any(count > 1 for count in pushed.values()):
        problems.append(f"{sum(c > 1 for c in pushed.values())} events pushed more than once")
    if not all(p.verified for p in pushes):
        problems.append("a push did not verify")

    tree = audit.checkpoint_covering(exchange, [a.report for a in acknowledged], [0, 1, 2])
    problems += audit.logged_once_each(
        tree, [a.report for a in acknowledged], [a.hotline for a in acknowledged]
    )
    created = Counter(e["referral"] for e in tree.events if e["type"] == "referral.created")
    if set(created) != referrals or set(created.values()) != {1}:
        problems.append("referral.created leaves are not one per referral")
    for hotline in REPORTERS:
        mine = next(a for a in acknowledged if a.hotline == hotline)
        audit.prove_inclusion(exchange, hotline, mine.process, mine.report, tree)

    assert not problems, "\n".join(problems)
