"""A process starts its PDQ indexes from snapshot files when they still describe the
database, catches up with what came after, and loads from the database when a purge,
a retraction or a damaged file makes the snapshot untrue."""

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from hub.db import Database
from hub.lists import service as lists
from hub.lists.lookup import ListPdqIndex
from hub.matching.startup import SnapshotPdqIndex
from hub.pdq import index as pdq
from hub.pdq import snapshot
from hub.pdq.index import PdqMatch
from hub.settings import Settings
from schemas.lists import ListIn

ROWS = 300


@pytest.fixture
def small_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds and snapshots at a few hundred rows instead of thousands."""
    monkeypatch.setattr(pdq, "TAIL_ROWS", 50)
    monkeypatch.setattr(SnapshotPdqIndex, "MIN_ROWS", 100)
    monkeypatch.setattr(ListPdqIndex, "MIN_SNAPSHOT_ROWS", 100)


@pytest.fixture
def database(settings_for: Callable[..., Settings], tmp_path: Path) -> Iterator[Database]:
    found = Database(settings_for(data_dir=tmp_path / "data"))
    yield found
    found.dispose()


def add_contents(database: Database, hashes: np.ndarray, first: int) -> None:
    rows = [{"id": f"cnt_{first + i}", "value": h.tobytes().hex()} for i, h in enumerate(hashes)]
    with database.transaction() as session:
        session.execute(
            text("INSERT INTO contents (id, kind, created_at) VALUES (:id, 'image', :at)"),
            [{"id": row["id"], "at": "2026-12-01 00:00:00+00:00"} for row in rows],
        )
        session.execute(
            text("INSERT INTO pdq_hashes (content_id, value) VALUES (:id, :value)"), rows
        )


def started(index: SnapshotPdqIndex) -> bool:
    """Whether the index came from a snapshot file (its arrays map the file)."""
    return isinstance(index.matcher.state().base.order, np.memmap)


def test_the_contents_index_restarts_from_its_snapshot(
    database: Database, tmp_path: Path, small_builds: None
) -> None:
    rng = np.random.default_rng(11)
    hashes = rng.integers(0, 256, (ROWS + 40, 32), dtype=np.uint8)
    add_contents(database, hashes[:ROWS], 0)
    path = snapshot.path_for(tmp_path / "data", "contents", str(database.engine.url))
    first = SnapshotPdqIndex(database, path)
    first.catch_up()
    assert first.matcher.wait_for_builds(30)
    assert path.exists() and not started(first)

    add_contents(database, hashes[ROWS:], ROWS)  # after the snapshot
    second = SnapshotPdqIndex(database, path)
    second.catch_up()
    assert started(second) and len(second.matcher) == ROWS + 40
    queries = [hashes[i].tobytes() for i in (0, ROWS - 1, ROWS, ROWS + 39)]
    expected = [PdqMatch(f"cnt_{i}", 0) for i in (0, ROWS - 1, ROWS, ROWS + 39)]
    assert second.matcher.nearest_many(queries, 31) == expected

    # A purge deletes rows the snapshot holds: it no longer describes the database.
    with database.transaction() as session:
        session.execute(text("DELETE FROM pdq_hashes WHERE content_id = 'cnt_5'"))
    third = SnapshotPdqIndex(database, path)
    third.catch_up()
    assert not started(third) and len(third.matcher) == ROWS + 39
    assert third.matcher.nearest(hashes[5].tobytes(), 0) is None
    # Its build writes a fresh snapshot: let it finish, or it could replace the damage.
    assert third.matcher.wait_for_builds(30)

    path.write_bytes(snapshot.MAGIC + b"\xff" * 64)  # damaged: never trusted
    fourth = SnapshotPdqIndex(database, path)
    fourth.catch_up()
    assert not started(fourth) and len(fourth.matcher) == ROWS + 39


def publish(database: Database, list_id: str, hashes: np.ndarray) -> int:
    with database.transaction() as session:
        number = lists.open_version(session, list_id).version
    lines = "".join(
        json.dumps({"alg": "pdq", "value": h.tobytes().hex(), "quality": 90, "category": "A1"})
        + "\n"
        for h in hashes
    )
    body = io.BytesIO(lines.encode())
    lists.import_part(database, list_id, number, 1, 1, "application/x-ndjson", body)
    with database.transaction() as session:
        lists.publish(session, list_id, number)
    return number


def nearest(index: ListPdqIndex, database: Database, pdq_hash: np.ndarray) -> str | None:
    with database.session(write=False) as session:
        found = index.nearest(session, pdq_hash.tobytes().hex(), 31)
        index.wait_for_loads()
        return None if found is None else found[0]


def test_the_lists_index_restarts_from_its_snapshot(
    database: Database, tmp_path: Path, small_builds: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(12)
    hashes = rng.integers(0, 256, (ROWS + 20, 32), dtype=np.uint8)
    with database.transaction() as session:
        lists.create(session, ListIn(id="known", name="Known", source="local"), "admin")
    first_version = publish(database, "known", hashes[:ROWS])
    path = snapshot.path_for(tmp_path / "data", "lists", str(database.engine.url))
    first = ListPdqIndex(database, path)
    assert nearest(first, database, hashes[7]) == hashes[7].tobytes().hex()
    assert first.matcher.wait_for_builds(30)
    assert path.exists()

    publish(database, "known", hashes[ROWS:])  # after the snapshot
    second = ListPdqIndex(database, path)
    assert nearest(second, database, hashes[ROWS + 3]) == hashes[ROWS + 3].tobytes().hex()
    assert isinstance(second.matcher.state().base.order, np.memmap)
    assert len(second.matcher) == ROWS + 20

    # A version too large to load inline loads on a thread; lookups go on meanwhile.
    monkeypatch.setattr(ListPdqIndex, "INLINE_ENTRIES", 10)
    with database.transaction() as session:
        lists.retract_version(session, "known", first_version, "admin")
    third = ListPdqIndex(database, path)
    nearest(third, database, hashes[0])
    assert nearest(third, database, hashes[7]) is None  # retracted
    assert nearest(third, database, hashes[ROWS + 3]) == hashes[ROWS + 3].tobytes().hex()
    assert not isinstance(third.matcher.state().base.order, np.memmap)
    assert len(third.matcher) == 20
