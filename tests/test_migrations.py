"""The schema comes only from Alembic migrations, and they match the models exactly."""

import json
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select, text
from sqlmodel import SQLModel

import hub.app  # noqa: F401  (imports every domain's models)
from hub.db import Database
from hub.exchange import sequencer
from hub.log.leaves import encode_checked
from hub.log.models import LogLeaf, LogPending
from hub.migrate import alembic_config, upgrade
from hub.settings import Settings
from schemas.common import format_timestamp
from tests.conftest import PostgresDatabases


def test_migrations_create_exactly_the_tables_the_models_describe(database_url: str) -> None:
    database = Database(Settings(database_url=database_url))
    upgrade(database.engine)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    database.dispose()

    assert differences == []


def _alembic(engine: Engine, verb: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


def test_events_queued_before_0010_are_logged_as_the_hub_encodes_them_now(
    tmp_path: Path, postgres: PostgresDatabases | None
) -> None:
    url = postgres.fresh_empty() if postgres is not None else f"sqlite:///{tmp_path}/old.db"
    database = Database(Settings(database_url=url))
    _alembic(database.engine, "upgrade", "0009")
    at = datetime(2026, 12, 3, 9, 30, 1, 250000, tzinfo=UTC)
    events = [
        ("report.received", "GB-IWF", at, {"case": "cas_01jq3v6x8k2m4n6p8r0t2v4x6z"}),
        ("case.opened", "GB-IWF", at.replace(microsecond=0), {"case": "cas_7", "country": "NL"}),
        ("referral.created", "hub", at, {"referral": "ref_9", "to": "NL-MELDPUNT"}),
    ]
    digest = "sha256:" + "ab" * 32
    with database.engine.begin() as connection:
        for type, actor, when, fields in events:
            connection.execute(
                text(
                    "INSERT INTO log_pending (type, actor, at, fields, digest) "
                    "VALUES (:type, :actor, :at, :fields, :digest)"
                ),
                {
                    "type": type,
                    "actor": actor,
                    "at": when,
                    "fields": json.dumps(fields),
                    "digest": digest,
                },
            )

    _alembic(database.engine, "upgrade", "head")
    _alembic(database.engine, "downgrade", "0009")
    with database.engine.connect() as connection:
        restored = connection.execute(
            text("SELECT type, actor, fields FROM log_pending ORDER BY id")
        ).all()
    assert [(t, a, json.loads(f)) for t, a, f in restored] == [(t, a, f) for t, a, _, f in events]

    _alembic(database.engine, "upgrade", "head")
    with database.transaction() as session:
        sequencer.sequence(session)
    with database.session(write=False) as session:
        leaves = session.execute(select(LogLeaf.seq, LogLeaf.leaf).order_by(LogLeaf.seq)).all()
        assert session.scalar(select(func.count()).select_from(LogPending)) == 0
    database.dispose()
    assert [bytes(leaf) for _, leaf in leaves] == [
        encode_checked(seq, type, format_timestamp(when), actor, digest, fields)
        for seq, (type, actor, when, fields) in enumerate(events)
    ]
