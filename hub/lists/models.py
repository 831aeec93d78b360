"""Tables of hash lists: a list, its versions (imports), the parts of an import, entries,
and retractions. An entry is visible only while its version is published and neither
the version nor the entry is retracted; nothing here is ever deleted.
"""

from datetime import datetime

from sqlalchemy import Column, Index, Integer
from sqlmodel import Field, SQLModel

from hub.db import BigId, UtcDateTime


class HashList(SQLModel, table=True):
    __tablename__ = "hash_lists"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    source: str = Field(max_length=16)
    created_by: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class ListVersion(SQLModel, table=True):
    """One import: `importing` until published whole, then `published` or `retracted`."""

    __tablename__ = "list_versions"

    list_id: str = Field(primary_key=True, max_length=40)
    version: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    state: str = Field(max_length=16)
    entries: int = 0
    parts: int = 0
    last_line: int = 0
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    retracted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class ListPart(SQLModel, table=True):
    """A part of an import, taken whole: its key makes a retried part a no-op."""

    __tablename__ = "list_parts"

    list_id: str = Field(primary_key=True, max_length=40)
    version: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    part: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    first_line: int
    last_line: int
    entries: int
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class ListEntry(SQLModel, table=True):
    """One hash on one version of a list; only (alg, value) is indexed, for lookups."""

    __tablename__ = "list_entries"
    __table_args__ = (Index("ix_list_entries_alg_value", "alg", "value"),)

    seq: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    list_id: str = Field(max_length=40)
    version: int
    alg: str = Field(max_length=16)
    value: str = Field(max_length=200)
    quality: int | None = None
    category: str | None = Field(default=None, max_length=32)
    retracted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))


class ListRetraction(SQLModel, table=True):
    """Every act of retraction, in order: processes holding list PDQ hashes reload on a new one."""

    __tablename__ = "list_retractions"

    seq: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    list_id: str = Field(max_length=40)
    version: int | None = None
    entries: int
    actor: str = Field(max_length=40)
    retracted_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
