"""Tables behind the metrics: counters every process adds to, and workers' heartbeats.

A counter row is shared by all processes: each adds with one upsert, so no count is
kept in one process's memory longer than a flush, and none is counted twice.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime


class MetricCounter(SQLModel, table=True):
    __tablename__ = "metric_counters"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    # Label pairs as `k=v,k=v`, sorted by name; "" for a counter without labels.
    labels: str = Field(sa_column=Column(String(200), primary_key=True))
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class WorkerHeartbeat(SQLModel, table=True):
    """When each delivery worker last said it is alive; readiness reads the newest."""

    __tablename__ = "worker_heartbeats"

    owner: str = Field(sa_column=Column(String(64), primary_key=True))
    seen_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
