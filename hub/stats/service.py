"""Counts of cases and referrals by hosting country, hotline and status, and the time to
referral and to removal as percentiles (docs/stats.md describes the answer).
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.cases.models import Case
from hub.referrals.models import Referral, StatusChange
from hub.reports.models import Report

UNKNOWN_COUNTRY = "unknown"
PERCENTILES = (50, 90)


def statistics(session: Session) -> dict[str, Any]:
    """Everything `GET /v1/stats` answers: the counts and both timings."""
    return {
        **counts(session),
        "time_to_referral": time_to_referral(session),
        "time_to_removal": time_to_removal(session),
    }


def counts(session: Session) -> dict[str, Any]:
    by_country: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Case.hosting_country, Case.status, func.count()).group_by(
            Case.hosting_country, Case.status
        )
    ).all()
    for country, status, count in rows:
        by_country.setdefault(country or UNKNOWN_COUNTRY, {})[status] = count
    by_hotline: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Referral.to_hotline, Referral.status, func.count()).group_by(
            Referral.to_hotline, Referral.status
        )
    ).all()
    for hotline, status, count in rows:
        by_hotline.setdefault(hotline, {})[status] = count
    reported = dict(
        session.execute(select(Report.hotline_id, func.count()).group_by(Report.hotline_id)).all()
    )
    by_status = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    referral_statuses = dict(
        session.execute(select(Referral.status, func.count()).group_by(Referral.status)).all()
    )
    unassigned = session.scalar(select(func.count()).where(Case.unassigned.is_(True))) or 0
    known = dict(
        session.execute(
            select(Report.content_known, func.count()).group_by(Report.content_known)
        ).all()
    )
    listed = session.scalar(select(func.count()).where(Report.content_listed.is_(True))) or 0
    return {
        "cases": {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "unassigned": unassigned,
        },
        "referrals": {
            "total": sum(referral_statuses.values()),
            "by_status": referral_statuses,
        },
        "by_country": by_country,
        "referrals_by_hotline": by_hotline,
        "reports_by_hotline": reported,
        # Reports whose content was new to the hub, known (to it or a list), on a list.
        "content": {"new": known.get(False, 0), "known": known.get(True, 0), "on_lists": listed},
    }


def time_to_referral(session: Session) -> dict[str, Any]:
    """From the case's creation to the delivery of each of its referrals."""
    rows = session.execute(
        select(Case.created_at, Referral.delivered_at, Case.hosting_country, Referral.to_hotline)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.delivered_at.is_not(None))
    ).all()
    return _timings((start, end, country, hotline) for start, end, country, hotline in rows)


def time_to_removal(session: Session) -> dict[str, Any]:
    """From the case's creation to its `removed` status, by the hotline that removed it."""
    rows = session.execute(
        select(
            Case.created_at,
            StatusChange.occurred_at,
            Case.hosting_country,
            Referral.to_hotline,
            StatusChange.actor,
        )
        .join(Case, Case.id == StatusChange.case_id)
        .outerjoin(Referral, Referral.id == StatusChange.referral_id)
        .where(StatusChange.status == "removed")
    ).all()
    # A domestic case has no referral: the reporter that handled it removed it.
    return _timings(
        (start, end, country, hotline or actor) for start, end, country, hotline, actor in rows
    )


def _timings(rows: Iterable[tuple[datetime, datetime, str | None, str]]) -> dict[str, Any]:
    every: list[float] = []
    by_country: dict[str, list[float]] = defaultdict(list)
    by_hotline: dict[str, list[float]] = defaultdict(list)
    for start, end, country, hotline in rows:
        # A hotline's clock may run behind the hub's: a negative duration counts as zero.
        seconds = max((end - start).total_seconds(), 0.0)
        every.append(seconds)
        by_country[country or UNKNOWN_COUNTRY].append(seconds)
        by_hotline[hotline].append(seconds)
    return {
        "all": summary(every),
        "by_country": {key: summary(values) for key, values in sorted(by_country.items())},
        "by_hotline": {key: summary(values) for key, values in sorted(by_hotline.items())},
    }


def summary(values: list[float]) -> dict[str, Any]:
    """`{"count", "p50", "p90"}` in seconds; the percentiles are null when there is no value."""
    ordered = sorted(values)
    out: dict[str, Any] = {"count": len(ordered)}
    for p in PERCENTILES:
        out[f"p{p}"] = round(percentile(ordered, p), 3) if ordered else None
    return out


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]
