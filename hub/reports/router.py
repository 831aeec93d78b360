"""Report intake and reading: `/v1/reports`, `/v1/reports:batch` (hotline)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from sqlalchemy.orm import Session

from hub.deps import AfterDep, HotlineDep, LimitDep, ReadSession, StateDep, WriteSession
from hub.errors import HubError, TooLarge
from hub.pagination import page
from hub.reports import service
from hub.state import HubState
from schemas.common import Page
from schemas.reports import MAX_BATCH, BatchIn, BatchOut, ReportIn, ReportOut

router = APIRouter(tags=["reports"])
ReportPath = Annotated[str, Path(max_length=40)]


def _hosting_if_needed(
    state: HubState, session: Session, hotline_id: str, checked: service.Checked
) -> service.Hosting | None:
    """Looks the host up before the write transaction, unless the answer is already known."""
    report, case = service.prior(session, hotline_id, checked)
    if report is not None or case is not None:
        return None
    return service.locate(state.intake, checked)


@router.post(
    "/v1/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    responses={200: {"model": ReportOut, "description": "A replay of the same reference and body"}},
)
def submit_report(
    body: ReportIn,
    who: HotlineDep,
    state: StateDep,
    reader: ReadSession,
    writer: WriteSession,
    response: Response,
) -> ReportOut:
    """Submits one hash-only report; `reference` is the idempotency key."""
    checked = service.check(body)
    hosting = _hosting_if_needed(state, reader, who.subject, checked)
    reader.close()
    out, created = service.submit(writer, state.intake, who.subject, checked, hosting)
    writer.commit()
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/reports/{out.id}"
    return out


@router.post("/v1/reports:batch", response_model=BatchOut)
def submit_batch(
    body: BatchIn, who: HotlineDep, state: StateDep, reader: ReadSession, writer: WriteSession
) -> dict[str, Any]:
    """Submits up to 1000 reports; each gets its own result, in order."""
    if len(body.reports) > MAX_BATCH:
        raise TooLarge(f"a batch holds at most {MAX_BATCH} reports, not {len(body.reports)}")
    results: list[dict[str, Any] | None] = [None] * len(body.reports)
    ready: list[tuple[int, service.Checked, service.Hosting | None]] = []
    for index, item in enumerate(body.reports):
        try:
            checked = service.parse_item(item, index)
            ready.append((index, checked, _hosting_if_needed(state, reader, who.subject, checked)))
        except HubError as error:
            results[index] = error.problem()
    reader.close()
    for index, checked, hosting in ready:
        try:
            with writer.begin_nested():
                out, created = service.submit(writer, state.intake, who.subject, checked, hosting)
        except HubError as error:
            results[index] = error.problem()
        else:
            results[index] = {**out.model_dump(mode="json"), "status": 201 if created else 200}
    writer.commit()
    return {"results": results}


@router.get("/v1/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: ReportPath, who: HotlineDep, session: ReadSession) -> ReportOut:
    return service.get_own(session, who.subject, report_id)


@router.get("/v1/reports", response_model=Page[ReportOut])
def list_reports(who: HotlineDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    """The caller's own reports, oldest first."""
    return page(service.list_own(session, who.subject, after, limit), limit)
