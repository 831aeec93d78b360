"""Content identity: which known content a report's hashes belong to, if any.

Exact algorithms match through the unique (alg, value) key; PDQ through the in-memory
matcher, which first catches up with PDQ rows other processes have committed.
"""

import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlalchemy import delete, literal, null, select, text, union_all, update
from sqlalchemy.orm import Session

from hub import clock
from hub.db import Database, Prebuilt, among, copy_rows, execute, in_param, insert_ignore
from hub.ids import new_id
from hub.lists import lookup
from hub.matching.models import Content, ContentHash, PdqHash
from hub.pdq import bulk
from hub.pdq.index import IndexMatcher, PdqMatch, ScanMatcher

MIN_PDQ_QUALITY = 50
# Order in which a report's hashes are tried; the first that is known names the content.
EXACT_ORDER = ("sha256", "sha1", "md5", "photodna")
# Rows per IN (...) list, well under every driver's parameter limit.
CHUNK = 400
_PDQ_LOCK = 0x48554250  # "HUBP"


@dataclass(frozen=True)
class Identity:
    content_id: str
    known: bool
    match: dict[str, Any] | None
    # The content's wire form (as `contents_of` gives it) when this transaction created
    # it: every hash bound to it is then one this transaction wrote.
    created: dict[str, Any] | None = None


class PdqIndex:
    """This process's PDQ matcher, kept up to date with committed `pdq_hashes` rows.

    On PostgreSQL a row can commit after one with a higher `seq`; re-reading a window
    of SLACK rows below the high-water mark picks such late rows up. Rows are read in
    bulk (hub/pdq/bulk.py), so the first load of millions takes seconds.
    """

    SLACK = 256

    def __init__(self, database: Database) -> None:
        self._database = database
        self._matcher = IndexMatcher()
        self._added = np.zeros(0, dtype=np.int64)
        self._seen = 0
        self._lock = threading.Lock()

    @property
    def matcher(self) -> IndexMatcher:
        return self._matcher

    def catch_up(self) -> None:
        # A session of its own: only committed rows enter the long-lived matcher.
        with self._database.session(write=False) as session, self._lock:
            for rows in bulk.read_after(session, self._seen - self.SLACK):
                new = ~np.isin(rows.seqs, self._added)
                self._matcher.add_many(rows.content_ids[new], rows.hashes[new])
                if len(rows.seqs):
                    self._seen = max(self._seen, int(rows.seqs.max()))
                window = np.concatenate([self._added, rows.seqs[new]])
                self._added = window[window > self._seen - self.SLACK]

    def view(self, session: Session) -> "PdqView":
        """The matcher plus the rows this transaction can see that it does not hold yet.

        Taken under a lock held to the end of the transaction, so two transactions with
        near-identical new hashes never both miss each other and make two contents.
        """
        _hold_pdq_lock(session)
        self.catch_up()
        extra = ScanMatcher()
        for rows in bulk.read_after(session, self._seen):
            extra.add_many(rows.content_ids, rows.hashes)
        return PdqView(self._matcher, extra)


def _hold_pdq_lock(session: Session) -> None:
    # SQLite's BEGIN IMMEDIATE already serialises writers.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PDQ_LOCK})


class PdqView:
    """What one transaction matches PDQ hashes against: the process's matcher, rows it
    does not hold yet, and the batch's own new hashes (both scanned in numpy)."""

    def __init__(self, matcher: IndexMatcher, extra: ScanMatcher) -> None:
        self._matcher = matcher
        self._extra = extra
        self._known: dict[bytes, PdqMatch | None] = {}

    def prefetch(self, pdqs: list[bytes], threshold: int) -> None:
        """Looks every hash up in the matcher in one vectorised pass."""
        unique = list(dict.fromkeys(pdqs))
        self._known.update(zip(unique, self._matcher.nearest_many(unique, threshold), strict=True))

    def add(self, pdq: bytes, content_id: str) -> None:
        self._extra.add(content_id, pdq)

    def nearest(self, pdq: bytes, threshold: int) -> tuple[str, int] | None:
        found = self._known[pdq] if pdq in self._known else self._matcher.nearest(pdq, threshold)
        other = self._extra.nearest(pdq, threshold)
        # The matcher's rows came first, so it keeps a tie.
        if other is not None and (found is None or other.distance < found.distance):
            found = other
        return None if found is None else (found.content_id, found.distance)


def identify_many(
    session: Session,
    kinds_and_hashes: list[tuple[str, list[Any]]],
    pdq_index: PdqIndex,
    threshold: int,
    list_index: lookup.ListPdqIndex | None = None,
) -> list[Identity]:
    """Finds or creates the content of each report, in order, with a fixed number of queries.

    A report matches content already in the database or earlier in the same list. New
    hash values are bound to the matched (or new) content; a value some other content
    already holds keeps its owner.
    """
    keys = [(h.alg, h.value) for _, hashes in kinds_and_hashes for h in hashes]
    owners, listed = _owners_and_listed(session, keys)
    uses_pdq = any(_usable_pdq(hashes) for _, hashes in kinds_and_hashes)
    pdq_view = pdq_index.view(session) if uses_pdq else None
    if pdq_view is not None:
        pdqs = [_usable_pdq(hashes) for _, hashes in kinds_and_hashes]
        pdq_view.prefetch([bytes.fromhex(p.value) for p in pdqs if p is not None], threshold)
    now = clock.utcnow()
    identities, contents, hash_rows, pdq_rows = [], [], [], []
    for kind, hashes in kinds_and_hashes:
        found = _exact_match(owners, hashes)
        pdq = _usable_pdq(hashes)
        if found is None and pdq is not None and pdq_view is not None:
            nearest = pdq_view.nearest(bytes.fromhex(pdq.value), threshold)
            if nearest is not None:
                found = (nearest[0], {"alg": "pdq", "distance": nearest[1], "content": nearest[0]})
        if found is None:
            content_id, match = new_id("cnt"), None
            contents.append((content_id, kind, now))
        else:
            content_id, match = found
        # Known content is also what a list holds, even the first time the hub sees it.
        hits = lookup.on_lists(hashes, listed, list_index, session, threshold, EXACT_ORDER)
        if hits is not None:
            alg, distance, lists = hits
            match = {**(match or {"alg": alg, "distance": distance, "content": content_id})}
            match["lists"] = lists
        identities.append(Identity(content_id, match is not None, match))
        for h in hashes:
            if (h.alg, h.value) not in owners:
                owners[(h.alg, h.value)] = content_id
                hash_rows.append(
                    {
                        "alg": h.alg,
                        "value": h.value,
                        "content_id": content_id,
                        "quality": getattr(h, "quality", None),
                    }
                )
                if h is pdq and pdq_view is not None:
                    pdq_rows.append({"content_id": content_id, "value": h.value})
                    pdq_view.add(bytes.fromhex(h.value), content_id)
    # New ids are random: no row can conflict, so they go in by COPY, not row by row.
    copy_rows(session, Content.__table__, ("id", "kind", "created_at"), contents)
    new_contents = {row[0] for row in contents}
    winners = _bind_hashes(session, hash_rows)
    merged: dict[str, tuple[str, str]] = {}
    for identity, (_, hashes) in zip(identities, kinds_and_hashes, strict=True):
        found = _exact_match(winners, hashes) if identity.content_id in new_contents else None
        if found is not None and found[0] != identity.content_id:
            merged.setdefault(identity.content_id, (found[0], found[1]["alg"]))
    if merged:
        identities = _merge(session, identities, merged)
        pdq_rows = [
            {**row, "content_id": merged.get(row["content_id"], (row["content_id"],))[0]}
            for row in pdq_rows
        ]
    pdq_rows.sort(key=lambda row: row["value"])
    for start in range(0, len(pdq_rows), CHUNK):
        insert_ignore(session, PdqHash, pdq_rows[start : start + CHUNK], ["value"])
    created = _created_wires(contents, hash_rows, winners, merged)
    return [
        replace(identity, created=created[identity.content_id])
        if identity.content_id in created
        else identity
        for identity in identities
    ]


def _created_wires(
    contents: list[tuple[str, str, Any]],
    hash_rows: list[dict[str, Any]],
    lost: dict[tuple[str, str], str],
    merged: dict[str, tuple[str, str]],
) -> dict[str, dict[str, Any]]:
    """The wire form of each content this transaction created and kept: its hashes are
    the rows it won, since no other transaction can bind a hash to an uncommitted id."""
    wires = {
        content_id: {"id": content_id, "kind": kind, "hashes": []}
        for content_id, kind, _ in contents
        if content_id not in merged
    }
    for row in sorted(hash_rows, key=lambda row: (row["alg"], row["value"])):
        wire = wires.get(row["content_id"])
        if wire is not None and (row["alg"], row["value"]) not in lost:
            wire["hashes"].append(_hash_wire(row["alg"], row["value"], row["quality"]))
    return wires


def _hash_wire(alg: str, value: str, quality: int | None) -> dict[str, Any]:
    return {"alg": alg, "value": value, **({"quality": quality} if alg == "pdq" else {})}


def _bind_hashes(session: Session, hash_rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Inserts the new hash rows in key order; returns the owner of each row that another
    transaction took first.

    The (alg, value) key settles the race: of two transactions that both saw a hash as
    new, the second waits for the first to commit and then finds the row taken."""
    hash_rows.sort(key=lambda row: (row["alg"], row["value"]))
    won: set[tuple[str, str]] = set()
    for start in range(0, len(hash_rows), CHUNK):
        result = insert_ignore(
            session,
            ContentHash,
            hash_rows[start : start + CHUNK],
            ["alg", "value"],
            returning=[ContentHash.alg, ContentHash.value],
        )
        won.update((alg, value) for alg, value in result)
    lost = [(row["alg"], row["value"]) for row in hash_rows]
    return _owners(session, [key for key in lost if key not in won])


def _merge(
    session: Session, identities: list[Identity], merged: dict[str, tuple[str, str]]
) -> list[Identity]:
    """Folds each new content that lost a race for one of its hashes into the content
    that won it: the hashes it did win move over and its row goes, so no content is left
    without hashes; its reports become matches of the winner."""
    for loser, (winner, _) in merged.items():
        session.execute(
            update(ContentHash).where(ContentHash.content_id == loser).values(content_id=winner),
            execution_options={"synchronize_session": False},
        )
    session.execute(delete(Content).where(Content.id.in_(list(merged))))
    folded = []
    for identity in identities:
        if identity.content_id not in merged:
            folded.append(identity)
            continue
        winner, alg = merged[identity.content_id]
        match = {**(identity.match or {}), "alg": alg, "distance": 0, "content": winner}
        folded.append(Identity(winner, True, match))
    return folded


def _usable_pdq(hashes: list[Any]) -> Any:
    pdq = next((h for h in hashes if h.alg == "pdq"), None)
    return pdq if pdq is not None and pdq.quality >= MIN_PDQ_QUALITY else None


_OWNERS = Prebuilt(
    lambda dialect: select(ContentHash.alg, ContentHash.value, ContentHash.content_id).where(
        in_param(dialect, ContentHash.alg, "algs"), in_param(dialect, ContentHash.value, "values")
    )
)


# A report's hashes against both the content that holds them and the lists that do:
# one round trip, not two. Owner rows are marked True (no category), list rows False.
_OWNERS_AND_LISTED = Prebuilt(
    lambda dialect: union_all(
        select(
            ContentHash.alg, ContentHash.value, ContentHash.content_id, null(), literal(True)
        ).where(
            in_param(dialect, ContentHash.alg, "algs"),
            in_param(dialect, ContentHash.value, "values"),
        ),
        lookup.visible(dialect).add_columns(literal(False)),
    )
)


def _owners_and_listed(
    session: Session, keys: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], list[lookup.Hit]]]:
    """The content that holds each (alg, value), and the lists that hold it."""
    wanted = set(keys)
    owners: dict[tuple[str, str], str] = {}
    entries: list[tuple[str, str, str, str | None]] = []
    for params in lookup.key_params(keys):
        for alg, value, holder, category, is_owner in execute(
            session, _OWNERS_AND_LISTED(session), params
        ):
            if not is_owner:
                entries.append((alg, value, holder, category))
            elif (alg, value) in wanted:  # algs and values are matched separately
                owners[(alg, value)] = holder
    return owners, lookup.hits(keys, entries)


def _owners(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    wanted = set(keys)
    owners: dict[tuple[str, str], str] = {}
    for params in lookup.key_params(keys):
        rows = execute(session, _OWNERS(session), params)
        # Algs and values are matched separately (one array each), so a value asked for
        # under one alg may come back under another: keep only the pairs asked for.
        owners.update({(alg, value): owner for alg, value, owner in rows if (alg, value) in wanted})
    return owners


def _exact_match(
    owners: dict[tuple[str, str], str], hashes: list[Any]
) -> tuple[str, dict[str, Any]] | None:
    by_alg = {h.alg: h for h in hashes}
    for alg in EXACT_ORDER:
        entry = by_alg.get(alg)
        owner = owners.get((alg, entry.value)) if entry is not None else None
        if owner is not None:
            return owner, {"alg": alg, "distance": 0, "content": owner}
    return None


def contents_of(session: Session, content_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each content as the wire shows it (`id`, `kind`, every hash bound to it, `quality`
    only for PDQ), with one query."""
    found: dict[str, dict[str, Any]] = {}
    rows = session.execute(
        select(Content.id, Content.kind, ContentHash.alg, ContentHash.value, ContentHash.quality)
        .outerjoin(ContentHash, ContentHash.content_id == Content.id)
        .where(among(session, Content.id, content_ids))
        .order_by(Content.id, ContentHash.alg, ContentHash.value)
    )
    for content_id, kind, alg, value, quality in rows:
        content = found.setdefault(content_id, {"id": content_id, "kind": kind, "hashes": []})
        if alg is not None:
            content["hashes"].append(_hash_wire(alg, value, quality))
    return found
