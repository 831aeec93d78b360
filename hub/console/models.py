"""The console's sign-in sessions: the cookie holds a secret, the table only its SHA-256."""

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from hub.db import UtcDateTime


class ConsoleSession(SQLModel, table=True):
    __tablename__ = "console_sessions"

    id: str = Field(primary_key=True, max_length=40)
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    subject: str = Field(max_length=64)
    # The admin token signed in with: revoking it ends the session too.
    token_id: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))
