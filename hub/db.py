"""Database engine, sessions and the one transaction helper every write goes through.

SQLite runs in WAL mode with `BEGIN IMMEDIATE` for writes; PostgreSQL runs read committed.
Engines hide statement parameters: an error's text must never carry a reported URL or hash.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from hub.outage import OutageWatch
from hub.settings import Settings

# Seconds a new PostgreSQL connection may take: an unreachable host is an outage, not a hang.
CONNECT_TIMEOUT = 5


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        engine = create_engine(
            settings.database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
            hide_parameters=True,
        )
        _configure_sqlite(engine)
        return engine
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # Pre-ping: a pooled connection the server dropped (restart, pg_terminate_backend) is
    # replaced at checkout; one that dies under a statement is invalidated by SQLAlchemy.
    return create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT},
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is off; `_on_begin` issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front so two never deadlock on a lock upgrade.
        immediate = connection.get_execution_options().get("hub_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The engine and two session factories: one for reads, one for writes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.outage = OutageWatch()
        # A new connection made is the database back: the watch logs the end of an outage.
        event.listen(self.engine, "connect", lambda *_args: self.outage.recovered())
        writer = self.engine.execution_options(hub_write=True)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool) -> Session:
        return (self._writer if write else self._reader)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on error."""
        with self.session(write=True) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def insert_ignore(
    session: Session,
    table: Any,
    values: dict[str, Any] | Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[Any] = (),
) -> Any:
    """`INSERT … ON CONFLICT (conflict) DO NOTHING [RETURNING …]`, on either database.

    The database settles races (two processes inserting the same key); the caller
    learns from the returned rows whether its insert won. Rows go as parameters of one
    cached statement (executemany), never as a freshly compiled multi-row VALUES list.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    target = getattr(table, "__table__", table)
    statement = insert(target).on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        statement = statement.returning(*returning)
    rows = [values] if isinstance(values, dict) else list(values)
    if not rows:
        return _NoRows()
    return session.execute(statement, rows if len(rows) > 1 else rows[0])


class _NoRows:
    def scalar(self) -> None:
        return None

    def scalars(self) -> list[Any]:
        return []


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
