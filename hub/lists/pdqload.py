"""Bulk reads for the lists' PDQ matcher: which versions are published (and the last
retraction), and the live PDQ values of some versions as hashes, decoded in numpy.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.lists.models import ListRetraction, ListVersion
from hub.pdq.bulk import fixed_lines, from_hex

LINE = 65  # 64 hex digits and a newline
_SELECT_LIVE = (
    "SELECT lower(value){end} FROM list_entries WHERE alg = 'pdq' AND retracted_at IS NULL"
    " AND (list_id, version) IN (VALUES PAIRS) ORDER BY seq"
)
Version = tuple[str, int]  # (list id, version number)


@dataclass(frozen=True)
class Published:
    """What the lists' matcher should hold: every published version (with when it was
    published, so a restored database's versions are told apart) and the last retraction."""

    versions: dict[Version, str]
    entries: dict[Version, int]
    retractions: int


def published(session: Session) -> Published:
    rows = session.execute(
        select(
            ListVersion.list_id, ListVersion.version, ListVersion.published_at, ListVersion.entries
        ).where(ListVersion.state == "published")
    ).all()
    retractions = session.scalar(select(func.max(ListRetraction.seq))) or 0
    return Published(
        versions={(r[0], r[1]): r[2].isoformat() if r[2] else "" for r in rows},
        entries={(r[0], r[1]): r[3] for r in rows},
        retractions=retractions,
    )


def live_hashes(session: Session, versions: list[Version]) -> Iterator[np.ndarray]:
    """The PDQ values not retracted of these versions, in arrival order, as (n, 32) uint8
    arrays of up to about a million rows each."""
    if not versions:
        return
    pairs = ", ".join("({0}, {0})" for _ in versions)
    select_values = _SELECT_LIVE.replace("PAIRS", pairs)  # placeholders only
    postgres = "COPY (" + select_values.format("%s", end="") + ") TO STDOUT"
    sqlite = select_values.format("?", end=" || char(10)")
    params = tuple(item for version in versions for item in version)
    for text in fixed_lines(session, LINE, postgres, sqlite, params):
        lines = np.frombuffer(text, dtype=np.uint8).reshape(-1, LINE)
        yield from_hex(lines[:, : LINE - 1])
