"""The schema comes only from Alembic migrations, and they match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import hub.app  # noqa: F401  (imports every domain's models)
from hub.db import Database
from hub.migrate import upgrade
from hub.settings import Settings


def test_migrations_create_exactly_the_tables_the_models_describe(database_url: str) -> None:
    database = Database(Settings(database_url=database_url))
    upgrade(database.engine)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    database.dispose()

    assert differences == []
