"""Alembic environment: migrates the database named by the hub's settings.

`hub.migrate.upgrade` passes its engine in; the alembic CLI falls back to HUB_DATABASE_URL.
"""

from alembic import context

from hub.db import make_engine
from hub.settings import Settings

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(Settings())
    with engine.connect() as own_connection:
        _run(own_connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
