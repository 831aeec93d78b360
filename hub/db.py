"""Database engine, sessions and the one transaction helper every write goes through.

SQLite runs in WAL mode with `BEGIN IMMEDIATE` for writes; PostgreSQL runs read committed,
its read sessions in autocommit.
Engines hide statement parameters: an error's text must never carry a reported URL or hash.
The SQLite file is created 0600 (SQLite gives its -wal and -shm files the file's mode).
"""

import functools
import logging
import os
import select
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Integer,
    TypeDecorator,
    any_,
    bindparam,
    create_engine,
    event,
    exc,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hub.outage import OutageWatch
from hub.settings import Settings

logger = logging.getLogger("hub.db")
PRIVATE = 0o600
# Seconds a new PostgreSQL connection may take: an unreachable host is an outage, not a hang.
CONNECT_TIMEOUT = 5
APPLICATION_NAME = "hotline-hub"


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        if settings.sqlite_path is not None:
            _keep_private(settings.sqlite_path)
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
    # HUB_DATABASE_POOL_SIZE connections per process at most (ten by default): requests
    # beyond them wait for one (up to 30 s) rather than open more. A 2-core server gains
    # nothing from more, and all processes together must stay within PostgreSQL's
    # max_connections (docs/operations.md). All stay open: overflow connections are
    # closed when returned, and under load that meant a new backend every few requests.
    engine = create_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=0,
        hide_parameters=True,
        connect_args=connect_args(url),
    )
    event.listen(engine, "checkout", _refuse_dropped)
    return engine


def connect_args(url: str) -> dict[str, Any]:
    """libpq options the hub adds unless the URL sets them: a connect timeout, and the
    name that tells the hub's connections apart in `pg_stat_activity`."""
    query = make_url(url).query
    defaults = {"connect_timeout": CONNECT_TIMEOUT, "application_name": APPLICATION_NAME}
    return {key: value for key, value in defaults.items() if key not in query}


def _takes_writes(dbapi_connection: Any) -> bool:
    """Whether PostgreSQL takes writes on this connection (a standby or a database set
    read-only does not); asked only while an outage of that kind lasts."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SHOW transaction_read_only")
        return bool(cursor.fetchone()[0] == "off")
    finally:
        cursor.close()


def _new_takes_writes(dbapi_connection: Any) -> bool:
    """`_takes_writes` on a connection just made, left with no transaction open."""
    try:
        return _takes_writes(dbapi_connection)
    finally:
        dbapi_connection.rollback()


def _refuse_dropped(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replaces, at checkout, a pooled connection the server has dropped (a restart,
    `pg_terminate_backend`): the server then sends its last message and closes, so an
    idle connection's socket has something to read. A look at the socket instead of
    SQLAlchemy's pre-ping: a `SELECT 1` round trip per checkout was three of a single
    POST's statements. One that dies under a statement is invalidated by SQLAlchemy."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise exc.DisconnectionError("the pooled connection is closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        raise exc.DisconnectionError("the server closed the pooled connection")


def _keep_private(path: Path) -> None:
    """Creates the database file 0600 before SQLite opens it, and takes group and other
    access away from one (and its -wal, -shm) that an older hub created readable."""
    if not path.parent.is_dir():
        return  # SQLite says so when it opens the file
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o077:
                file.chmod(mode & 0o700)
                logger.warning("took group and other access away from %s", file.name)
        except FileNotFoundError:
            continue


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
        event.listen(
            self.engine,
            "connect",
            lambda dbapi_connection, _record: self.outage.recovered(
                lambda: _new_takes_writes(dbapi_connection)
            ),
        )
        writer = self.engine.execution_options(hub_write=True)
        # PostgreSQL reads in autocommit: read committed gives each statement its own
        # snapshot anyway, and a reader's BEGIN and ROLLBACK were two of the three round
        # trips of the query that authenticates every request. SQLite keeps its read
        # transaction, the one snapshot a reader's statements share.
        reader = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )
        self._reader = sessionmaker(reader, expire_on_commit=False)
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
            if self.outage.down:  # an outage that let reads through ends with a write
                self.outage.recovered(lambda: _takes_writes(session.connection().connection))

    def dispose(self) -> None:
        self.engine.dispose()


def execute(session: Session, statement: Any, params: Any = None) -> Any:
    """Runs a Core statement (SQL text, an insert or update, a select of columns) on the
    session's connection; its result. `Session.execute` adds ORM work to every statement,
    about 70 us of CPU (a single POST runs a dozen), and an autoflush: so not for selects
    that load ORM objects, nor for ones that must see objects this session changed and
    has not flushed."""
    return session.connection().execute(statement, params)


# Up to this many rows, one INSERT from a JSON array costs PostgreSQL and the hub less
# than a COPY (2 rows: 85 against 140 us of CPU, one round trip against two); from about
# a hundred rows on, COPY costs less (1,000 rows: 2.2 against 4.6 ms).
COPY_FROM = 64


def copy_rows(
    session: Session, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Inserts new rows (tuples in `columns` order) in the session's transaction, for
    rows that cannot conflict. On PostgreSQL `COPY` (one stream, no statement per row
    and no parameter arrays to dump, on the driver's own cursor), or for a few rows one
    INSERT from a JSON array as `insert_ignore` writes them. A cached executemany on
    SQLite."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    names = ", ".join(columns)
    if len(rows) < COPY_FROM:
        sql = f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {_recordset(table)}"  # noqa: S608 (column names only)
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        connection.execute(_text(sql), {"rows": _json_rows(records)})
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def insert_ignore(
    session: Session,
    table: Any,
    values: dict[str, Any] | Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[Any] = (),
) -> Any:
    """`INSERT … ON CONFLICT (conflict) DO NOTHING [RETURNING …]`, on either database.

    The database settles races (two processes inserting the same key); the caller
    learns from the returned rows whether its insert won. Rows are inserted in the order
    given (callers sort them into the lock order). On PostgreSQL the rows travel as one
    array per column in a single statement; on SQLite as one cached statement run per row.
    """
    rows = [values] if isinstance(values, dict) else list(values)
    if not rows:
        return _NoRows()
    target = getattr(table, "__table__", table)
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(rows[0])
        sql = (
            f"INSERT INTO {target.name} ({names}) "  # noqa: S608 (column names only)
            f"SELECT {names} FROM {_recordset(target)} "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
        )
        if returning:
            sql += " RETURNING " + ", ".join(column.name for column in returning)
        return execute(session, _text(sql), {"rows": _json_rows(rows)})
    statement = sqlite.insert(target).on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        statement = statement.returning(*returning)
    return execute(session, statement, rows if len(rows) > 1 else rows[0])


def update_rows(session: Session, table: Any, rows: Sequence[dict[str, Any]], key: str) -> None:
    """Updates each row (found by its `key` column) to the values it holds; on PostgreSQL
    one `UPDATE … FROM unnest(…)` statement for all rows."""
    if not rows:
        return
    target = getattr(table, "__table__", table)
    names = list(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        assignments = ", ".join(f"{name} = u.{name}" for name in names if name != key)
        sql = (
            f"UPDATE {target.name} SET {assignments} "  # noqa: S608 (column names only)
            f"FROM {_recordset(target)} AS u WHERE {target.name}.{key} = u.{key}"
        )
        execute(session, _text(sql), {"rows": _json_rows(rows)})
        return
    statement = (
        update(target)
        .where(target.c[key] == bindparam("_key"))
        .values({name: bindparam(name) for name in names if name != key})
    )
    execute(session, statement, [{**row, "_key": row[key]} for row in rows])


# The SQL of a bulk statement depends only on its table and columns: parse it once.
_text = functools.lru_cache(maxsize=256)(text)


def _recordset(target: Any) -> str:
    # The rows as one JSON array, read back as rows of the table's own type: a single
    # parameter whatever the row count, encoded by the C JSON encoder.
    return f"json_populate_recordset(NULL::{target.name}, CAST(:rows AS json))"


def _json_rows(rows: Sequence[dict[str, Any]]) -> str:
    # Datetimes pass through to _json_value, which refuses naive ones.
    return orjson.dumps(
        list(rows), default=_json_value, option=orjson.OPT_PASSTHROUGH_DATETIME
    ).decode()


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\x" + value.hex()  # bytea's hex input form
    raise TypeError(f"{type(value).__name__} is not a column value")


def among(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(array)`, one parameter whatever the
    count, which it plans in a fraction of a millisecond (an IN list of hundreds of values
    or pairs took tens of milliseconds to plan)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(list(values))
    return column.in_(list(values))


def in_param(dialect: str, column: Any, name: str) -> Any:
    """`column IN :name` for a statement built once (`Prebuilt`), the list bound to `name`
    when it runs: on PostgreSQL `= ANY` of one array parameter, as `among` does."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


class Prebuilt:
    """A statement built once per dialect and reused with new parameters: building a
    select (a few joins and conditions) costs more CPU than PostgreSQL takes to run it,
    and the hot paths run one for every request."""

    def __init__(self, build: Callable[[str], Any]) -> None:
        self._build = build
        self._built: dict[str, Any] = {}

    def __call__(self, session: Session) -> Any:
        dialect = session.get_bind().dialect.name
        built = self._built.get(dialect)
        if built is None:
            built = self._built[dialect] = self._build(dialect)
        return built


class _NoRows:
    def scalar(self) -> None:
        return None

    def scalars(self) -> list[Any]:
        return []


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


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
