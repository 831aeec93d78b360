"""Queued events hold their leaf, encoded by the request, instead of its parts.

The sequencer is the one serial step of the write path. It used to read each event's
type, actor, time and fields back and encode the leaf; now the request encodes it with
`"seq":0` and the sequencer only writes the number in. Events still queued are encoded
here, as `hub.log.leaves.encode_checked` does: sorted compact JSON of fields that are
ASCII without quotes, backslashes or control characters, which is their RFC 8785 form.

Revision ID: 0010
Revises: 0009
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LEAF_VERSION = 1
_FIXED = ("v", "seq", "type", "at", "actor", "digest")

_old = sa.table(
    "log_pending",
    sa.column("id", sa.BigInteger()),
    sa.column("type", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("fields", sa.Text()),
    sa.column("leaf", sa.Text()),
    sa.column("digest", sa.String()),
)


def _stamp(value: datetime) -> str:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def _leaf(type: str, actor: str, at: datetime, fields: str, digest: str) -> str:
    event = {
        **json.loads(fields),
        "v": LEAF_VERSION,
        "seq": 0,
        "type": type,
        "at": _stamp(at),
        "actor": actor,
        "digest": digest,
    }
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def upgrade() -> None:
    with op.batch_alter_table("log_pending") as batch:
        batch.add_column(sa.Column("leaf", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_old.c.id, _old.c.type, _old.c.actor, _old.c.at, _old.c.fields, _old.c.digest)
    ).all()
    for row in rows:
        connection.execute(
            _old.update()
            .where(_old.c.id == row.id)
            .values(leaf=_leaf(row.type, row.actor, row.at, row.fields, row.digest))
        )
    with op.batch_alter_table("log_pending") as batch:
        batch.alter_column("leaf", existing_type=sa.Text(), nullable=False)
        for name in ("type", "actor", "at", "fields"):
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("log_pending") as batch:
        batch.add_column(sa.Column("type", sa.String(64), nullable=True))
        batch.add_column(sa.Column("actor", sa.String(64), nullable=True))
        batch.add_column(sa.Column("at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("fields", sa.Text(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_old.c.id, _old.c.leaf)).all():
        event = json.loads(row.leaf)
        at = datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
        fields = {name: value for name, value in event.items() if name not in _FIXED}
        connection.execute(
            _old.update()
            .where(_old.c.id == row.id)
            .values(type=event["type"], actor=event["actor"], at=at, fields=json.dumps(fields))
        )
    with op.batch_alter_table("log_pending") as batch:
        for name, kind in (
            ("type", sa.String(64)),
            ("actor", sa.String(64)),
            ("at", sa.DateTime(timezone=True)),
            ("fields", sa.Text()),
        ):
            batch.alter_column(name, existing_type=kind, nullable=False)
        batch.drop_column("leaf")
