"""Protocol 1.1 statistics: time to removal by hosting network and the slowest networks,
time to law enforcement, host notices before removal, and cases by what hotlines record."""

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.cases.models import Case
from hub.referrals.models import ReferralAction, StatusChange
from hub.reports.models import Report
from hub.stats.service import summary

SLOWEST = 10
LAW_ENFORCEMENT_WITHIN = timedelta(days=3)
UNRECORDED = "unrecorded"


def records(session: Session) -> dict[str, Any]:
    removals = _removals(session)
    return {
        "removal_by_network": _by_network(session, removals),
        "time_to_law_enforcement": _time_to_law_enforcement(session),
        "notices_before_removal": _notices_before_removal(session, removals),
        "by_assessment": _by_assessment(session),
    }


def _removals(session: Session) -> dict[str, Any]:
    """Each removed case's first `removed` time."""
    rows = session.execute(
        select(StatusChange.case_id, func.min(StatusChange.occurred_at))
        .where(StatusChange.status == "removed")
        .group_by(StatusChange.case_id)
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def _by_network(session: Session, removals: dict[str, Any]) -> dict[str, Any]:
    durations: dict[int, list[float]] = defaultdict(list)
    names: dict[int, str | None] = {}
    if removals:
        rows = session.execute(
            select(Case.id, Case.created_at, Case.hosting_asn, Case.hosting_network).where(
                Case.id.in_(list(removals)), Case.hosting_asn.is_not(None)
            )
        ).all()
        for case_id, created_at, asn, name in rows:
            durations[asn].append(max((removals[case_id] - created_at).total_seconds(), 0.0))
            names[asn] = name
    networks = {
        str(asn): {"asn": asn, "name": names[asn], **summary(values)}
        for asn, values in sorted(durations.items())
    }
    slowest = sorted(networks.values(), key=lambda n: (-n["p50"], n["asn"]))[:SLOWEST]
    return {"time_to_removal": networks, "slowest": slowest}


def _time_to_law_enforcement(session: Session) -> dict[str, Any]:
    """From the case's creation to the first `law_enforcement_notified` of each referral."""
    rows = session.execute(
        select(Case.created_at, func.min(ReferralAction.occurred_at))
        .join(Case, Case.id == ReferralAction.case_id)
        .where(ReferralAction.action == "law_enforcement_notified")
        .group_by(ReferralAction.referral_id, Case.created_at)
    ).all()
    seconds = [max((end - start).total_seconds(), 0.0) for start, end in rows]
    within = sum(1 for s in seconds if s <= LAW_ENFORCEMENT_WITHIN.total_seconds())
    share = round(within / len(seconds), 4) if seconds else None
    return {**summary(seconds), "within_3_days": within, "share_within_3_days": share}


def _notices_before_removal(session: Session, removals: dict[str, Any]) -> dict[str, Any]:
    """Per removed case: `host_notified` actions and `notice_sent` statuses before removal."""
    counts = dict.fromkeys(removals, 0)
    if removals:
        ids = list(removals)
        notices = session.execute(
            select(ReferralAction.case_id, ReferralAction.occurred_at).where(
                ReferralAction.case_id.in_(ids), ReferralAction.action == "host_notified"
            )
        ).all()
        notices += session.execute(
            select(StatusChange.case_id, StatusChange.occurred_at).where(
                StatusChange.case_id.in_(ids), StatusChange.status == "notice_sent"
            )
        ).all()
        for case_id, at in notices:
            if at <= removals[case_id]:
                counts[case_id] += 1
    values = [float(n) for n in counts.values()]
    mean = round(sum(values) / len(values), 3) if values else None
    return {**summary(values), "mean": mean}


def _by_assessment(session: Session) -> dict[str, Any]:
    """Cases by the opening report's assessment; reports by site type and new or known."""
    age_group: Counter[str] = Counter()
    gender: Counter[str] = Counter()
    virtual: Counter[str] = Counter()
    for (assessment,) in session.execute(select(Case.assessment)):
        age_group[assessment.get("age_group") or UNRECORDED] += 1
        gender[assessment.get("gender") or UNRECORDED] += 1
        flag = assessment.get("virtual")
        virtual[UNRECORDED if flag is None else str(bool(flag)).lower()] += 1
    site_type = dict(
        session.execute(select(Report.site_type, func.count()).group_by(Report.site_type)).all()
    )
    known = dict(
        session.execute(
            select(Report.content_known, func.count()).group_by(Report.content_known)
        ).all()
    )
    return {
        "cases_by_age_group": dict(sorted(age_group.items())),
        "cases_by_gender": dict(sorted(gender.items())),
        "cases_by_virtual": dict(sorted(virtual.items())),
        "reports_by_site_type": dict(sorted(site_type.items())),
        "reports_by_content": {"new": known.get(False, 0), "known": known.get(True, 0)},
    }
