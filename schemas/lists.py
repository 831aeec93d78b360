"""Hash lists: lists of known content (IWF, NCMEC, C3P, a hotline's own), their versions
and imports (admin). Entries arrive as NDJSON or CSV, not JSON bodies (docs/lists.md).
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from schemas.common import Name, OutModel, Timestamp, WireModel

ListId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,39}$", examples=["iwf-hashes"])]
Category = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[\x21-\x7e]+$")]
# Media types a list import accepts; `entries` lines are documented in docs/lists.md.
NDJSON = "application/x-ndjson"
CSV = "text/csv"
ENTRY_ALGS = ("sha256", "sha1", "md5", "pdq", "photodna")
CSV_COLUMNS = ("alg", "value", "quality", "category")


class ListSource(StrEnum):
    IWF = "IWF"
    NCMEC = "NCMEC"
    C3P = "C3P"
    PROJECT_VIC = "ProjectVIC"
    INHOPE = "INHOPE"
    local = "local"
    other = "other"


class ListIn(WireModel):
    id: ListId
    name: Name
    source: ListSource


class VersionState(StrEnum):
    importing = "importing"
    published = "published"
    retracted = "retracted"


class VersionOut(OutModel):
    """One import of a list and how far it has come (the progress answer)."""

    list: str
    version: int
    state: VersionState
    entries: int
    parts: int
    last_line: int
    created_at: Timestamp
    published_at: Timestamp | None = None
    retracted_at: Timestamp | None = None


class ListOut(OutModel):
    id: str
    name: str
    source: str
    created_at: Timestamp
    entries: int
    versions: list[VersionOut] = Field(default_factory=list)


class PartOut(OutModel):
    """One part of an import taken whole: its number, its lines and entries, the totals."""

    list: str
    version: int
    part: int
    first_line: int
    last_line: int
    entries: int
    created: bool
    version_entries: int


class RetractedValue(WireModel):
    alg: Literal["sha256", "sha1", "md5", "pdq", "photodna"]
    # Hex or base64: printable ASCII only (PostgreSQL text cannot hold a NUL).
    value: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class RetractIn(WireModel):
    entries: Annotated[list[RetractedValue], Field(min_length=1, max_length=10000)]


class RetractOut(OutModel):
    list: str
    retracted: int
