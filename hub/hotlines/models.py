"""Tables of member hotlines, the countries each serves and the primary per country."""

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime


class Hotline(SQLModel, table=True):
    __tablename__ = "hotlines"

    id: str = Field(primary_key=True, max_length=19)
    name: str = Field(max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2048)
    public_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class HotlineCountry(SQLModel, table=True):
    __tablename__ = "hotline_countries"

    country: str = Field(primary_key=True, max_length=2)
    hotline_id: str = Field(
        sa_column=Column(String(19), ForeignKey("hotlines.id"), primary_key=True, index=True)
    )


class Route(SQLModel, table=True):
    """The admin's pick where several hotlines serve one country."""

    __tablename__ = "routes"

    country: str = Field(primary_key=True, max_length=2)
    hotline_id: str = Field(sa_column=Column(String(19), ForeignKey("hotlines.id"), nullable=False))


class CdnRoute(SQLModel, table=True):
    """The hotline an admin set for cases behind one CDN or reverse proxy."""

    __tablename__ = "cdn_routes"

    provider: str = Field(primary_key=True, max_length=32)
    hotline_id: str = Field(sa_column=Column(String(19), ForeignKey("hotlines.id"), nullable=False))
