"""Issue 9.7: the SQLite database and its -wal and -shm files are 0600, like the signing key."""

import os
import stat
from pathlib import Path

from sqlalchemy import text

from hub.db import Database
from hub.migrate import upgrade
from hub.settings import Settings


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


def _open_and_write(path: Path) -> None:
    database = Database(Settings(database_url=f"sqlite:///{path}"))
    upgrade(database.engine)
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)"))
        connection.execute(text("INSERT INTO scratch VALUES (1)"))
        # While the connection is open the -wal and -shm files exist.
        assert _modes(path.parent) == {"hub.db": 0o600, "hub.db-wal": 0o600, "hub.db-shm": 0o600}
    database.dispose()


def test_a_new_sqlite_database_and_its_wal_files_are_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        _open_and_write(tmp_path / "hub.db")
    finally:
        os.umask(old)


def test_a_readable_database_of_an_older_hub_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    _open_and_write(path)
