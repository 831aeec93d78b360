"""Hash list administration: `/v1/lists`, their versions, imports and retractions (admin)."""

import tempfile
from typing import Annotated

import anyio
from fastapi import APIRouter, Path, Query, Request, Response, status

from hub import paths  # noqa: F401  (registers the path segment rules used below)
from hub.deps import AdminDep, AfterDep, LimitDep, ReadSession, StateDep
from hub.errors import UnsupportedMediaType
from hub.lists import service
from hub.pagination import page
from schemas.common import Page
from schemas.lists import CSV, NDJSON, ListIn, ListOut, PartOut, RetractIn, RetractOut, VersionOut

router = APIRouter(tags=["lists"])
ListPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{1,39}$")]
VersionPath = Annotated[int, Path(ge=1, le=service.MAX_NUMBER)]
# A part is spooled to disk past this size, so no body is ever held in memory whole.
SPOOL_IN_MEMORY = 4 * 1024 * 1024


@router.post("/v1/lists", status_code=status.HTTP_201_CREATED, response_model=ListOut)
def create_list(body: ListIn, who: AdminDep, state: StateDep, response: Response) -> ListOut:
    with state.database.transaction() as session:
        out = service.to_wire(session, service.create(session, body, who.subject))
    response.headers["Location"] = f"/v1/lists/{out.id}"
    return out


@router.get("/v1/lists", response_model=Page[ListOut])
def list_lists(who: AdminDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    lists = service.list_lists(session, after, limit)
    return page([service.to_wire(session, h) for h in lists], limit)


@router.get("/v1/lists/{list_id}", response_model=ListOut)
def get_list(list_id: ListPath, who: AdminDep, session: ReadSession) -> ListOut:
    return service.to_wire(session, service.get(session, list_id))


@router.post(
    "/v1/lists/{list_id}/versions", status_code=status.HTTP_201_CREATED, response_model=VersionOut
)
def open_version(
    list_id: ListPath, who: AdminDep, state: StateDep, response: Response
) -> VersionOut:
    """Opens a new version to import into; it stays invisible until it is published."""
    with state.database.transaction() as session:
        out = service.version_out(service.open_version(session, list_id))
    response.headers["Location"] = f"/v1/lists/{list_id}/versions/{out.version}"
    return out


@router.get("/v1/lists/{list_id}/versions/{version:version}", response_model=VersionOut)
def get_version(
    list_id: ListPath, version: VersionPath, who: AdminDep, session: ReadSession
) -> VersionOut:
    """How far an import has come: its state, parts, entries and last line taken."""
    return service.version_out(service.get_version(session, list_id, version))


@router.post(
    "/v1/lists/{list_id}/versions/{version:version}/entries",
    status_code=status.HTTP_201_CREATED,
    response_model=PartOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                NDJSON: {"schema": {"type": "string"}},
                CSV: {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_part(
    list_id: ListPath,
    version: VersionPath,
    request: Request,
    who: AdminDep,
    state: StateDep,
    response: Response,
    part: Annotated[int, Query(ge=1, le=service.MAX_NUMBER)] = 1,
    first_line: Annotated[int, Query(ge=1, le=service.MAX_NUMBER)] = 1,
) -> PartOut:
    """One part of an import as NDJSON or CSV lines (docs/lists.md): taken whole or not at
    all; a part number already taken answers 200 with what it took, and changes nothing."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in (NDJSON, CSV):
        raise UnsupportedMediaType(f"list entries are {NDJSON} or {CSV}")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        out = await anyio.to_thread.run_sync(
            service.import_part,
            state.database,
            list_id,
            version,
            part,
            first_line,
            media_type,
            spool,
        )
    if not out.created:
        response.status_code = status.HTTP_200_OK
    return out


@router.post("/v1/lists/{list_id}/versions/{version:version}:publish", response_model=VersionOut)
def publish(list_id: ListPath, version: VersionPath, who: AdminDep, state: StateDep) -> VersionOut:
    """Makes every entry of the version visible to matching at once."""
    with state.database.transaction() as session:
        return service.version_out(service.publish(session, list_id, version))


@router.post("/v1/lists/{list_id}/versions/{version:version}:retract", response_model=VersionOut)
def retract_version(
    list_id: ListPath, version: VersionPath, who: AdminDep, state: StateDep
) -> VersionOut:
    """Takes the whole version off the list; reports keep what they matched at the time."""
    with state.database.transaction() as session:
        return service.version_out(service.retract_version(session, list_id, version, who.subject))


@router.post("/v1/lists/{list_id}/retractions", response_model=RetractOut)
def retract_values(
    list_id: ListPath, body: RetractIn, who: AdminDep, state: StateDep
) -> RetractOut:
    """Takes the given hash values off every version of the list."""
    with state.database.transaction() as session:
        count = service.retract_values(session, list_id, body, who.subject)
    return RetractOut(list=list_id, retracted=count)
