"""The rules of hash lists: create, open a version, import its parts, publish, retract.

A part is taken whole or not at all (a bad line rolls the part back and is answered as
a per-line problem); a version's entries become visible only when it is published.
"""

from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from hub import clock
from hub.db import Database, insert_ignore
from hub.errors import Conflict, Invalid, NotFound, field_error
from hub.lists import entries
from hub.lists.models import HashList, ListEntry, ListPart, ListRetraction, ListVersion
from schemas.lists import ListIn, ListOut, PartOut, RetractIn, VersionOut

# At most this many line problems are answered; the detail gives the full count.
MAX_PROBLEMS = 100
# Rows per executemany on SQLite (PostgreSQL streams one COPY per part).
SQLITE_BATCH = 5000
SQLITE_CACHE_KIB = 64 * 1024
ENTRY_COLUMNS = ("list_id", "version", "alg", "value", "quality", "category")
# Versions, parts and line numbers are 32-bit columns (on PostgreSQL `integer`).
MAX_NUMBER = 2**31 - 1


def create(session: Session, body: ListIn, actor: str) -> HashList:
    row = {
        "id": body.id,
        "name": body.name,
        "source": body.source.value,
        "created_by": actor,
        "created_at": clock.utcnow(),
    }
    won = insert_ignore(session, HashList, row, ["id"], returning=[HashList.id]).scalar()
    if won is None:
        raise Conflict(
            f"a list '{body.id}' exists", errors=[field_error(["body", "id"], "already used")]
        )
    return HashList(**row)


def get(session: Session, list_id: str) -> HashList:
    found = session.get(HashList, list_id)
    if found is None:
        raise NotFound(f"no list '{list_id}'")
    return found


def list_lists(session: Session, after: str | None, limit: int) -> list[HashList]:
    query = select(HashList).order_by(HashList.id).limit(limit)
    if after:
        query = query.where(HashList.id > after)
    return list(session.scalars(query))


def to_wire(session: Session, hash_list: HashList) -> ListOut:
    versions = session.scalars(
        select(ListVersion).where(ListVersion.list_id == hash_list.id).order_by(ListVersion.version)
    ).all()
    visible = sum(v.entries for v in versions if v.state == "published")
    return ListOut(
        id=hash_list.id,
        name=hash_list.name,
        source=hash_list.source,
        created_at=hash_list.created_at,
        entries=visible,
        versions=[version_out(v) for v in versions],
    )


def version_out(version: ListVersion) -> VersionOut:
    return VersionOut.model_validate(
        {**version.model_dump(), "list": version.list_id}, from_attributes=False
    )


def get_version(session: Session, list_id: str, number: int) -> ListVersion:
    found = session.get(ListVersion, (list_id, number))
    if found is None:
        raise NotFound(f"no version {number} of list '{list_id}'")
    return found


def open_version(session: Session, list_id: str) -> ListVersion:
    """A new version in state `importing`, numbered after the last one."""
    get(session, list_id)
    for _ in range(5):
        last = session.scalar(
            select(func.max(ListVersion.version)).where(ListVersion.list_id == list_id)
        )
        row = {
            "list_id": list_id,
            "version": (last or 0) + 1,
            "state": "importing",
            "entries": 0,
            "parts": 0,
            "last_line": 0,
            "created_at": clock.utcnow(),
        }
        won = insert_ignore(
            session, ListVersion, row, ["list_id", "version"], returning=[ListVersion.version]
        ).scalar()
        if won is not None:
            return ListVersion(**row)
    raise Conflict("versions of this list are being opened concurrently; try again")


def import_part(
    database: Database,
    list_id: str,
    number: int,
    part: int,
    first_line: int,
    media_type: str,
    body: IO[bytes],
) -> PartOut:
    """Takes one part of an import in a transaction of its own; a retried part is a no-op."""
    with database.transaction() as session:
        version = get_version(session, list_id, number)
        if version.state != "importing":
            raise Conflict(f"version {number} is {version.state}; open a new version")
        now = clock.utcnow()
        claim = {
            "list_id": list_id,
            "version": number,
            "part": part,
            "first_line": first_line,
            "last_line": first_line - 1,
            "entries": 0,
            "created_at": now,
        }
        won = insert_ignore(
            session, ListPart, claim, ["list_id", "version", "part"], returning=[ListPart.part]
        ).scalar()
        if won is None:
            stored = session.get(ListPart, (list_id, number, part))
            assert stored is not None
            return _part_out(stored, version.entries, created=False)
        problems: list[entries.LineProblem] = []
        counter = _Counter()
        good = _good_rows(entries.read(body, media_type, first_line), counter, problems)
        rows = ((list_id, number, *row) for row in good)
        _write(session, rows)
        bad = counter.bad
        if bad:
            raise Invalid(
                [p.as_error() for p in problems],
                detail=f"{bad} line(s) are not valid entries; nothing of this part was taken",
            )
        last_line = max(counter.last_line, first_line - 1)
        if last_line > MAX_NUMBER:
            raise Invalid(
                [field_error(["query", "first_line"], f"lines past {MAX_NUMBER} are not counted")]
            )
        session.execute(
            update(ListPart)
            .where(ListPart.list_id == list_id, ListPart.version == number, ListPart.part == part)
            .values(last_line=last_line, entries=counter.good)
        )
        taken = session.execute(
            update(ListVersion)
            .where(
                ListVersion.list_id == list_id,
                ListVersion.version == number,
                ListVersion.state == "importing",
            )
            .values(
                entries=ListVersion.entries + counter.good,
                parts=ListVersion.parts + 1,
                last_line=func.max(ListVersion.last_line, last_line)
                if database.dialect == "sqlite"
                else func.greatest(ListVersion.last_line, last_line),
            )
            .returning(ListVersion.entries)
        ).scalar()
        if taken is None:  # published or retracted while this part was read
            raise Conflict(f"version {number} stopped importing; open a new version")
        claim.update(last_line=last_line, entries=counter.good)
        return _part_out(ListPart(**claim), taken, created=True)


class _Counter:
    def __init__(self) -> None:
        self.good = 0
        self.bad = 0
        self.last_line = 0


def _good_rows(
    read: Iterator[entries.Read], counter: _Counter, problems: list[entries.LineProblem]
) -> Iterator[entries.EntryRow]:
    """The good rows until the first bad one; after it, only problems are gathered."""
    for number, item in read:
        counter.last_line = number
        if isinstance(item, entries.LineProblem):
            counter.bad += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append(item)
            continue
        counter.good += 1
        if not counter.bad:
            yield item


def _write(session: Session, rows: Iterable[tuple[Any, ...]]) -> None:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    if session.get_bind().dialect.name == "postgresql":
        statement = f"COPY list_entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    columns, marks = ", ".join(ENTRY_COLUMNS), ", ".join("?" for _ in ENTRY_COLUMNS)
    statement = f"INSERT INTO list_entries ({columns}) VALUES ({marks})"  # noqa: S608 (placeholders only)
    cursor = connection.cursor()
    # Random (alg, value) keys touch the whole index: the default 2 MB page cache thrashes.
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == SQLITE_BATCH:
            cursor.executemany(statement, batch)
            batch = []
    if batch:
        cursor.executemany(statement, batch)
    cursor.close()


def _part_out(part: ListPart, version_entries: int, *, created: bool) -> PartOut:
    return PartOut(
        list=part.list_id,
        version=part.version,
        part=part.part,
        first_line=part.first_line,
        last_line=part.last_line,
        entries=part.entries,
        created=created,
        version_entries=version_entries,
    )


def publish(session: Session, list_id: str, number: int) -> ListVersion:
    """Makes every entry of the version visible at once."""
    version = get_version(session, list_id, number)
    changed = session.execute(
        update(ListVersion)
        .where(
            ListVersion.list_id == list_id,
            ListVersion.version == number,
            ListVersion.state == "importing",
        )
        .values(state="published", published_at=clock.utcnow())
    ).rowcount
    if not changed:
        raise Conflict(f"version {number} is {version.state}, not importing")
    session.expire(version)
    return get_version(session, list_id, number)


def retract_version(session: Session, list_id: str, number: int, actor: str) -> ListVersion:
    """Takes a whole version off the list (an unpublished one is abandoned)."""
    version = get_version(session, list_id, number)
    now = clock.utcnow()
    changed = session.execute(
        update(ListVersion)
        .where(
            ListVersion.list_id == list_id,
            ListVersion.version == number,
            ListVersion.state != "retracted",
        )
        .values(state="retracted", retracted_at=now)
    ).rowcount
    if not changed:
        raise Conflict(f"version {number} is already retracted")
    _record_retraction(session, list_id, number, version.entries, actor)
    session.expire(version)
    return get_version(session, list_id, number)


def retract_values(session: Session, list_id: str, body: RetractIn, actor: str) -> int:
    """Retracts the given values from every version of the list; how many entries it hid."""
    get(session, list_id)
    keys: list[tuple[str, str]] = []
    problems = []
    for index, item in enumerate(body.entries):
        try:
            alg, value, _, _ = entries.entry(item.alg, item.value, None, None)
        except entries.Rejected as bad:
            problems.append(field_error(["body", "entries", index, bad.field or "value"], bad.msg))
            continue
        keys.append((alg, value))
    if problems:
        raise Invalid(problems)
    unique = list(dict.fromkeys(keys))
    retracted = 0
    now = clock.utcnow()
    for start in range(0, len(unique), 400):
        retracted += session.execute(
            update(ListEntry)
            .where(
                ListEntry.list_id == list_id,
                tuple_(ListEntry.alg, ListEntry.value).in_(unique[start : start + 400]),
                ListEntry.retracted_at.is_(None),
            )
            .values(retracted_at=now)
        ).rowcount
    _record_retraction(session, list_id, None, retracted, actor)
    return retracted


def _record_retraction(
    session: Session, list_id: str, version: int | None, count: int, actor: str
) -> None:
    session.add(
        ListRetraction(
            list_id=list_id,
            version=version,
            entries=count,
            actor=actor,
            retracted_at=clock.utcnow(),
        )
    )
    session.flush()
