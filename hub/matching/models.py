"""Tables of content identity: exact hashes under a unique key, PDQ hashes in arrival order.

A hash value belongs to one content forever; `pdq_hashes.seq` lets every process's
in-memory matcher catch up with rows that other processes added.
"""

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from hub.db import BigId, UtcDateTime


class Content(SQLModel, table=True):
    __tablename__ = "contents"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class ContentHash(SQLModel, table=True):
    """Every submitted hash value, one row per (alg, value), bound to one content."""

    __tablename__ = "content_hashes"

    alg: str = Field(primary_key=True, max_length=16)
    value: str = Field(primary_key=True, max_length=200)
    content_id: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    quality: int | None = None


class PdqHash(SQLModel, table=True):
    """PDQ hashes of quality >= 50, the ones that take part in matching."""

    __tablename__ = "pdq_hashes"

    seq: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    content_id: str = Field(max_length=40)
    value: str = Field(max_length=64, unique=True)
