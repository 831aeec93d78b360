"""The tokens table: secrets are stored only as their SHA-256."""

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime


class Token(SQLModel, table=True):
    __tablename__ = "tokens"

    id: str = Field(primary_key=True, max_length=40)
    principal: str = Field(max_length=16)
    subject: str = Field(max_length=64, index=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime))
