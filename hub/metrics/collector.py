"""The Prometheus scrape: every figure read from the database when it is scraped.

All of it describes the hub, not the answering process: any `serve` process gives the
same answer, so one scrape target is enough however many processes run.
"""

import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hub.cases.models import Case
from hub.clock import utcnow
from hub.db import Database
from hub.delivery.models import DEAD, DELIVERED, PENDING, Event
from hub.log.models import LogCheckpoint, LogLeaf, LogPending
from hub.metrics import counters
from hub.metrics.counters import Tally
from hub.metrics.models import MetricCounter, WorkerHeartbeat
from hub.referrals.models import Referral
from hub.reports.models import Report

logger = logging.getLogger("hub.metrics")

# Counters kept in `metric_counters` (name there -> help text here).
REJECTED = "hub_reports_rejected"
LATENCY = "hub_http_request_duration_seconds"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Latency sums are stored as integer microseconds.
MICROS = 1_000_000


class HubCollector(Collector):
    def __init__(self, database: Database, tally: Tally) -> None:
        self.database = database
        self.tally = tally

    def collect(self) -> Iterator[Metric]:
        try:
            self.tally.flush(self.database)  # this process's counts, before reading all
        except Exception:
            logger.warning("could not flush metric counts; they stay pending", exc_info=True)
        with self.database.session(write=False) as session:
            yield from _reports(session)
            yield from _delivery(session)
            yield from _log(session)
            yield from _stored_counters(session)


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


def _reports(session: Session) -> Iterator[Metric]:
    accepted = CounterMetricFamily("hub_reports_accepted", "Reports recorded (new or joined)")
    accepted.add_metric([], session.scalar(select(func.count()).select_from(Report)) or 0)
    yield accepted
    opened = CounterMetricFamily("hub_cases_opened", "Cases opened")
    opened.add_metric([], session.scalar(select(func.count()).select_from(Case)) or 0)
    yield opened
    reason = case((Referral.rerouted_from.is_not(None), "rerouted"), else_=Case.routing_reason)
    referrals = CounterMetricFamily(
        "hub_referrals", "Referrals created, by routing reason", labels=["reason"]
    )
    rows = session.execute(
        select(reason, func.count())
        .select_from(Referral)
        .join(Case, Case.id == Referral.case_id)
        .group_by(reason)
    ).all()
    for name, count in sorted(rows):
        referrals.add_metric([name], count)
    yield referrals
    unassigned = GaugeMetricFamily("hub_cases_unassigned", "Cases waiting for routing by hand")
    unassigned.add_metric([], session.scalar(select(func.count()).where(Case.unassigned)) or 0)
    yield unassigned


def _delivery(session: Session) -> Iterator[Metric]:
    now = utcnow()
    by_state = dict(session.execute(select(Event.state, func.count()).group_by(Event.state)).all())
    depth = GaugeMetricFamily("hub_outbox_depth", "Events not yet delivered (pending)")
    depth.add_metric([], by_state.get(PENDING, 0))
    yield depth
    oldest = session.scalar(select(func.min(Event.created_at)).where(Event.state == PENDING))
    age = GaugeMetricFamily(
        "hub_outbox_oldest_undelivered_age_seconds", "Age of the oldest pending event; 0 if none"
    )
    age.add_metric([], _age(now, oldest))
    yield age
    attempts = GaugeMetricFamily(
        "hub_delivery_push_attempts",
        "Push attempts made for the events in the outbox, by the event's state now",
        labels=["state"],
    )
    for state, total in sorted(
        session.execute(select(Event.state, func.sum(Event.attempts)).group_by(Event.state)).all()
    ):
        attempts.add_metric([state], total or 0)
    yield attempts
    dead = GaugeMetricFamily("hub_delivery_dead", "Dead deliveries waiting for a retry by hand")
    dead.add_metric([], by_state.get(DEAD, 0))
    yield dead
    delivered = GaugeMetricFamily("hub_events_delivered", "Events delivered (by push or pull)")
    delivered.add_metric([], by_state.get(DELIVERED, 0))
    yield delivered
    newest = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    heartbeat = GaugeMetricFamily(
        "hub_worker_heartbeat_age_seconds", "Seconds since a delivery worker last checked in"
    )
    if newest is not None:
        heartbeat.add_metric([], _age(now, newest))
    yield heartbeat


def _log(session: Session) -> Iterator[Metric]:
    size = GaugeMetricFamily("hub_log_size", "Leaves the sequencer has numbered")
    size.add_metric([], session.scalar(select(func.count()).select_from(LogLeaf)) or 0)
    yield size
    pending = GaugeMetricFamily("hub_log_pending", "Events waiting for the sequencer")
    pending.add_metric([], session.scalar(select(func.count()).select_from(LogPending)) or 0)
    yield pending
    latest = session.execute(
        select(LogCheckpoint.size, LogCheckpoint.signed_at)
        .order_by(LogCheckpoint.size.desc())
        .limit(1)
    ).first()
    checkpoint = GaugeMetricFamily(
        "hub_log_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed"
    )
    signed = GaugeMetricFamily("hub_log_checkpoint_size", "Tree size of the latest checkpoint")
    if latest is not None:
        checkpoint.add_metric([], _age(utcnow(), latest.signed_at))
        signed.add_metric([], latest.size)
    yield checkpoint
    yield signed


def _stored_counters(session: Session) -> Iterator[Metric]:
    stored: dict[str, list[tuple[dict[str, str], int]]] = defaultdict(list)
    for row in session.execute(
        select(MetricCounter.name, MetricCounter.labels, MetricCounter.value)
    ):
        stored[row.name].append((counters.parse_labels(row.labels), row.value))
    rejected = CounterMetricFamily(
        REJECTED,
        "Reports rejected, by reason (a batch refused whole counts once)",
        labels=["reason"],
    )
    for pairs, value in sorted(stored[REJECTED], key=lambda item: item[0]["reason"]):
        rejected.add_metric([pairs["reason"]], value)
    yield rejected
    yield _latency(stored[LATENCY])


def _latency(rows: list[tuple[dict[str, str], int]]) -> Metric:
    """Bucket counts are stored per bucket (`le`), plus `le=sum` in microseconds."""
    series: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for pairs, value in rows:
        series[(pairs["method"], pairs["route"])][pairs["le"]] = value
    family = HistogramMetricFamily(
        LATENCY, "Time to answer a request, by method and route", labels=["method", "route"]
    )
    for (method, route), stored in sorted(series.items()):
        total, buckets = 0, []
        for bound in (*(str(b) for b in BUCKETS), "+Inf"):
            total += stored.get(bound, 0)
            buckets.append((bound, total))
        family.add_metric([method, route], buckets, stored.get("sum", 0) / MICROS)
    return family


def bucket_of(seconds: float) -> str:
    return next((str(bound) for bound in BUCKETS if seconds <= bound), "+Inf")
