"""Set-based intake: a batch of checked reports recorded with a fixed number of queries.

A single POST is a batch of one, so there is one way to take a report. Races are
settled by the database: the (hotline, reference) key claims a reference, the (alg,
value) key a hash, the unique `cases.open_url_hash` a URL; whoever loses a race joins
the winner. Keys are taken in the lock order of docs/architecture.md (reports, hashes,
cases, case reporters; each in ascending key order), so two intakes never wait on each
other in a circle.
"""

import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from hub import clock, exchange
from hub.cases.models import Case, CaseReporter
from hub.db import Prebuilt, among, execute, in_param, insert_ignore, update_rows
from hub.errors import Conflict, HubError, field_error
from hub.exchange import Entry
from hub.geo.cdn import HostingNetworks
from hub.hotlines.routes import hotline_for_cdn
from hub.hotlines.service import route_for_country
from hub.ids import new_id
from hub.matching.service import CHUNK, identify_many
from hub.referrals.models import Referral
from hub.referrals.service import Handover, open_referrals
from hub.reports.models import Report
from hub.reports.service import Checked, Hosting, Intake, locate, to_wire, url_hash
from schemas.reports import ReportOut

Outcome = tuple[ReportOut, bool] | HubError


def lookups(
    session: Session, intake: Intake, hotline_id: str, items: Sequence[Checked]
) -> list[Hosting | None]:
    """Hosting of each item, looked up before the write transaction so DNS never holds a
    lock; None where no lookup is needed (a reference replay or a URL with an open case)."""
    used, open_urls = _used_and_open(
        session, hotline_id, [c.body.reference for c in items], [url_hash(c.url.url) for c in items]
    )
    keys = [(c.hosting_ip, c.url.host, c.url.host_ip, c.origin_ip) for c in items]
    needed = [c.body.reference not in used and url_hash(c.url.url) not in open_urls for c in items]
    hosts = list(dict.fromkeys(key for key, need in zip(keys, needed, strict=True) if need))
    if len(hosts) <= 1:  # a single POST: a thread pool would cost more than the lookup
        found = {key: locate(intake, *key) for key in hosts}
    else:  # distinct hosts are resolved in parallel: one slow name must not stall a batch
        with ThreadPoolExecutor(max_workers=min(16, len(hosts))) as pool:
            found = dict(zip(hosts, pool.map(lambda key: locate(intake, *key), hosts), strict=True))
    return [found[key] if need else None for key, need in zip(keys, needed, strict=True)]


def submit_many(
    session: Session,
    intake: Intake,
    hotline_id: str,
    items: Sequence[Checked],
    hostings: Sequence[Hosting | None],
) -> list[Outcome]:
    """Records the reports in the caller's transaction; one outcome per item, in order."""
    now = clock.utcnow()
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        first.setdefault(item.body.reference, index)
    claimers = sorted(first.values())
    report_ids = {index: new_id("rpt") for index in claimers}
    claimed = _claim(session, hotline_id, items, claimers, report_ids, now)
    fresh = [index for index in claimers if items[index].body.reference in claimed]

    outcomes: dict[int, Outcome] = {}
    if fresh:
        outcomes.update(
            _record(session, intake, hotline_id, items, hostings, fresh, report_ids, now)
        )
    outcomes.update(
        _replays(session, hotline_id, items, [i for i in claimers if i not in outcomes])
    )
    results: list[Outcome] = []
    for index, item in enumerate(items):
        leader = first[item.body.reference]
        if index == leader:
            results.append(outcomes[leader])
        else:
            results.append(_repeat(outcomes[leader], items[leader], item))
    return results


def _claim(
    session: Session,
    hotline_id: str,
    items: Sequence[Checked],
    claimers: list[int],
    report_ids: dict[int, str],
    now: Any,
) -> set[str]:
    rows = [
        {
            "id": report_ids[index],
            "hotline_id": hotline_id,
            "reference": items[index].body.reference,
            "body_digest": items[index].digest,
            "received_at": now,
            "observed_at": items[index].body.observed_at,
            "site_type": items[index].body.site_type.value,
            "opened_case": False,
            "content_known": False,
            "hosting_source": "unresolvable",
            "routing_reason": "unresolvable",
        }
        for index in claimers
    ]
    rows.sort(key=lambda row: row["reference"])  # lock order: keys ascending
    claimed: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        result = insert_ignore(
            session,
            Report,
            rows[start : start + CHUNK],
            ["hotline_id", "reference"],
            returning=[Report.reference],
        )
        claimed.update(result.scalars())
    return claimed


def _record(
    session: Session,
    intake: Intake,
    hotline_id: str,
    items: Sequence[Checked],
    hostings: Sequence[Hosting | None],
    fresh: list[int],
    report_ids: dict[int, str],
    now: Any,
) -> dict[int, Outcome]:
    identities = identify_many(
        session,
        [(items[i].body.content.kind.value, items[i].body.content.hashes) for i in fresh],
        intake.pdq_index,
        intake.pdq_threshold,
        intake.list_index,
    )
    cases, opened, handovers = _cases(
        session, intake, hotline_id, items, hostings, fresh, identities, now
    )
    referrals = _active_referrals(session, [c for c in cases.values() if c.id not in opened])

    updates, outcomes = [], {}
    leaves: list[tuple[str, Case, dict[str, Any]]] = []
    for index, identity in zip(fresh, identities, strict=True):
        case = cases[url_hash(items[index].url.url)]
        is_opener = opened.get(case.id) == index
        handover = handovers.get(case.id)
        if handover is not None:
            to, referral_id = handover.to_hotline, handover.referral_id
        elif case.active_referral_id in referrals:
            to, referral_id = referrals[case.active_referral_id], case.active_referral_id
        else:
            to = referral_id = None
        row = {
            "id": report_ids[index],
            "case_id": case.id,
            "opened_case": is_opener,
            "content_id": identity.content_id,
            "content_known": identity.known,
            "content_listed": bool(identity.match and identity.match.get("lists")),
            "match": identity.match,
            "hosting_ip": case.hosting_ip,
            "hosting_country": case.hosting_country,
            "hosting_source": case.hosting_source,
            "hosting_cdn": case.hosting_cdn,
            "hosting_asn": case.hosting_asn,
            "hosting_network": case.hosting_network,
            "routing_reason": case.routing_reason,
            "routing_to": to,
            "routing_referral": referral_id,
        }
        updates.append(row)
        report = SimpleNamespace(
            **row,
            reference=items[index].body.reference,
            received_at=now,
        )
        out = to_wire(report, case)
        outcomes[index] = (out, True)
        leaves.append(
            ("case.opened" if is_opener else "case.joined", case, out.model_dump(mode="json"))
        )
    update_rows(session, Report, updates, key="id")
    # The reporter holds each answer, so it can prove both leaves are logged; the digest
    # covers no URL, which a guesser could otherwise confirm against the log.
    exchange.log_many(
        session,
        [
            entry
            for kind, case, answer in leaves
            for entry in (
                Entry("report.received", hotline_id, answer, {"case": case.id}),
                Entry(
                    kind,
                    hotline_id,
                    answer,
                    {
                        "case": case.id,
                        "country": case.hosting_country if kind == "case.opened" else None,
                    },
                ),
            )
        ],
    )
    if handovers:
        open_referrals(session, list(handovers.values()), actor="hub")
    return outcomes


def _cases(
    session: Session,
    intake: Intake,
    hotline_id: str,
    items: Sequence[Checked],
    hostings: Sequence[Hosting | None],
    fresh: list[int],
    identities: list[Any],
    now: Any,
) -> tuple[dict[str, Case], dict[str, int], dict[str, Handover]]:
    """Each item's case by URL hash; which cases this batch opened (and by which item);
    the referral each new case is handed over by."""
    keys = list(dict.fromkeys(url_hash(items[i].url.url) for i in fresh))
    cases, previous = _cases_of_urls(session, keys)
    openers: dict[str, int] = {}
    for index in fresh:
        openers.setdefault(url_hash(items[index].url.url), index)
    new_keys = [key for key in keys if key not in cases]
    router = _Router(session, hotline_id, intake.networks)
    rows, targets = [], {}
    content_of = dict(zip(fresh, (i.content_id for i in identities), strict=True))
    for key in new_keys:
        index = openers[key]
        item = items[index]
        hosting = hostings[index] or locate(
            intake, item.hosting_ip, item.url.host, item.url.host_ip, item.origin_ip
        )
        reason, to_hotline = router.route(hosting)
        case_id = new_id("cas")
        # A case handed over is written pointing at its referral, opened below if it wins.
        referral_id = None if to_hotline is None else new_id("ref")
        targets[case_id] = (index, to_hotline, referral_id)
        rows.append(
            {
                "id": case_id,
                "url_key": item.url.url,
                "url_hash": key,
                "open_url_hash": key,
                "status": "pending",
                "reporter_id": hotline_id,
                "content_id": content_of[index],
                "assessment": item.body.assessment.model_dump(mode="json"),
                "hosting_ip": hosting.ip,
                "hosting_country": hosting.country,
                "hosting_source": hosting.source,
                "hosting_cdn": hosting.cdn,
                "hosting_asn": hosting.asn,
                "hosting_network": hosting.network,
                "routing_reason": reason,
                "active_referral_id": referral_id,
                "unassigned": to_hotline is None and reason != "domestic",
                "previous_case_id": previous.get(key),
                "created_at": now,
            }
        )
    rows.sort(key=lambda row: row["open_url_hash"])  # lock order: keys ascending
    won: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        result = insert_ignore(
            session, Case, rows[start : start + CHUNK], ["open_url_hash"], returning=[Case.id]
        )
        won.update(result.scalars())
    if len(won) < len(rows):  # another process opened some of these URLs first: join them
        cases.update(_open_cases(session, [key for key in new_keys if key not in cases]))
    # The rows this batch inserted are the cases as stored: no need to read them back.
    cases.update({row["open_url_hash"]: Case(**row) for row in rows if row["id"] in won})
    opened = {case_id: targets[case_id][0] for case_id in won}
    created = {i.content_id: i.created for i in identities if i.created is not None}
    handovers = {
        case_id: Handover(
            cases[url_hash(items[index].url.url)],
            to_hotline,
            referral_id,
            # The case opened here: its reporter is this hotline alone, for now.
            reporters=(hotline_id,),
            content=created.get(content_of[index]),
        )
        for case_id, (index, to_hotline, referral_id) in targets.items()
        if case_id in won and to_hotline is not None
    }
    reporters = sorted(
        ({"case_id": cases[key].id, "hotline_id": hotline_id, "joined_at": now} for key in keys),
        key=lambda row: row["case_id"],
    )
    for start in range(0, len(reporters), CHUNK):
        insert_ignore(
            session, CaseReporter, reporters[start : start + CHUNK], ["case_id", "hotline_id"]
        )
    return cases, opened, handovers


class _Router:
    """PROTOCOL 4.2 step 3 for one reporter (1.1: CDN and fallback routes), remembering
    answers for the batch."""

    def __init__(self, session: Session, reporter: str, networks: HostingNetworks | None) -> None:
        self._session = session
        self._reporter = reporter
        self._networks = networks
        self._routes: dict[str, tuple[str, str | None]] = {}

    def route(self, hosting: Hosting) -> tuple[str, str | None]:
        if hosting.behind_cdn and self._networks is not None:
            return self._cdn(hosting.cdn)  # type: ignore[arg-type]
        country = hosting.country
        if country is None:
            return "unresolvable", None
        if country not in self._routes:
            routing = route_for_country(self._session, country)
            self._routes[country] = routing.for_reporter(self._reporter)
        return self._routes[country]

    def _cdn(self, provider: str) -> tuple[str, str | None]:
        key = "cdn:" + provider
        if key not in self._routes:
            assert self._networks is not None
            hotline = hotline_for_cdn(self._session, self._networks.providers[provider])
            # The reporter is the CDN's own hotline: it handles the case as a domestic one.
            self._routes[key] = (
                ("domestic", None) if hotline == self._reporter else ("cdn", hotline)
            )
        return self._routes[key]


def _open_cases(session: Session, keys: list[str]) -> dict[str, Case]:
    return {c.open_url_hash: c for c in _chunked_scalars(session, Case, Case.open_url_hash, keys)}  # type: ignore[misc]


def _cases_of_urls(session: Session, keys: list[str]) -> tuple[dict[str, Case], dict[str, str]]:
    """The open case of each URL that has one, and the latest closed case of each URL: a
    new case there is a re-upload of it. One query for both."""
    opened: dict[str, Case] = {}
    latest: dict[str, tuple[Any, str]] = {}
    for case in _chunked_scalars(session, Case, Case.url_hash, keys):
        if case.open_url_hash is not None:
            opened[case.open_url_hash] = case
        elif case.url_hash not in latest or (case.created_at, case.id) > latest[case.url_hash]:
            latest[case.url_hash] = (case.created_at, case.id)
    return opened, {key: case_id for key, (_, case_id) in latest.items() if key not in opened}


def _active_referrals(session: Session, cases: list[Case]) -> dict[str, str]:
    ids = [c.active_referral_id for c in cases if c.active_referral_id]
    return {r.id: r.to_hotline for r in _chunked_scalars(session, Referral, Referral.id, ids)}


def _replays(
    session: Session, hotline_id: str, items: Sequence[Checked], indices: list[int]
) -> dict[int, Outcome]:
    """Items whose reference was already used: the stored answer (200) or a 409."""
    if not indices:
        return {}
    references = [items[i].body.reference for i in indices]
    stored: dict[str, tuple[Report, Case]] = {}
    for start in range(0, len(references), CHUNK):
        rows = session.execute(
            select(Report, Case)
            .join(Case, Case.id == Report.case_id)
            .where(
                Report.hotline_id == hotline_id,
                among(session, Report.reference, references[start : start + CHUNK]),
            )
        )
        stored.update({report.reference: (report, case) for report, case in rows})
    outcomes: dict[int, Outcome] = {}
    for index in indices:
        report, case = stored[items[index].body.reference]
        outcomes[index] = (
            (to_wire(report, case), False)
            if report.body_digest == items[index].digest
            else _reference_conflict(items[index])
        )
    return outcomes


def _repeat(leader: Outcome, leader_item: Checked, item: Checked) -> Outcome:
    """A reference repeated within one batch answers like a retry of the first."""
    if isinstance(leader, HubError):
        return leader
    if leader_item.digest != item.digest:
        return _reference_conflict(item)
    return leader[0], False


def _reference_conflict(item: Checked) -> Conflict:
    return Conflict(
        f"reference '{item.body.reference}' was already used for a different report",
        errors=[field_error(["body", "reference"], "already used with a different body")],
    )


_USED_AND_OPEN = Prebuilt(
    lambda dialect: union_all(
        select(literal(True).label("reference"), Report.reference.label("key")).where(
            Report.hotline_id == bindparam("hotline"),
            in_param(dialect, Report.reference, "references"),
        ),
        select(literal(False), Case.open_url_hash).where(
            in_param(dialect, Case.open_url_hash, "url_hashes")
        ),
    )
)


def _used_and_open(
    session: Session, hotline_id: str, references: list[str], url_hashes: list[str]
) -> tuple[set[str], set[str]]:
    """Which references this hotline has used, and which URL hashes have an open case:
    one query for both (a single POST's lookups are a round trip, not two)."""
    references, url_hashes = list(dict.fromkeys(references)), list(dict.fromkeys(url_hashes))
    used: set[str] = set()
    opened: set[str] = set()
    for start in range(0, max(len(references), len(url_hashes)), CHUNK):
        rows = execute(
            session,
            _USED_AND_OPEN(session),
            {
                "hotline": hotline_id,
                "references": references[start : start + CHUNK],
                "url_hashes": url_hashes[start : start + CHUNK],
            },
        )
        for is_reference, key in rows:
            (used if is_reference else opened).add(key)
    return used, opened


@functools.cache
def _scalars_query(column: Any, key: Any) -> Prebuilt:
    return Prebuilt(lambda dialect: select(column).where(in_param(dialect, key, "values")))


def _chunked_scalars(session: Session, column: Any, key: Any, values: list[Any]) -> list[Any]:
    found: list[Any] = []
    unique = list(dict.fromkeys(values))
    statement = _scalars_query(column, key)(session)
    for start in range(0, len(unique), CHUNK):
        found.extend(session.scalars(statement, {"values": unique[start : start + CHUNK]}))
    return found
