"""Counts of cases and referrals by hosting country, hotline and status, as of now."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.referrals.models import Referral
from hub.reports.models import Case, Report


def counts(session: Session) -> dict[str, Any]:
    by_country: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Case.hosting_country, Case.status, func.count()).group_by(
            Case.hosting_country, Case.status
        )
    ).all()
    for country, status, count in rows:
        by_country.setdefault(country or "unknown", {})[status] = count
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
    unassigned = session.scalar(select(func.count()).where(Case.unassigned.is_(True))) or 0
    return {
        "cases": {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "unassigned": unassigned,
        },
        "by_country": by_country,
        "referrals_by_hotline": by_hotline,
        "reports_by_hotline": reported,
    }
