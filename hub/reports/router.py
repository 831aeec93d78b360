"""Report intake and reading: `/v1/reports`, `/v1/reports:batch` (hotline)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from hub.deps import AfterDep, HotlineDep, LimitDep, ReadSession, StateDep
from hub.errors import HubError, TooLarge
from hub.metrics.middleware import count_rejected
from hub.pagination import page
from hub.reports import intake, service
from schemas.common import Page
from schemas.reports import MAX_BATCH, BatchIn, BatchOut, ReportIn, ReportOut

router = APIRouter(tags=["reports"])
ReportPath = Annotated[str, Path(max_length=40)]


@router.post(
    "/v1/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    responses={200: {"model": ReportOut, "description": "A replay of the same reference and body"}},
)
def submit_report(
    body: ReportIn, who: HotlineDep, state: StateDep, reader: ReadSession, response: Response
) -> ReportOut:
    """Submits one hash-only report; `reference` is the idempotency key."""
    checked = service.check(body, networks=state.intake.networks)
    [hosting] = intake.lookups(reader, state.intake, who.subject, [checked])
    reader.close()  # no read transaction stays open while the report is recorded
    outcome = state.group_commit.submit(who.subject, checked, hosting)
    if isinstance(outcome, HubError):
        raise outcome
    out, created = outcome
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/reports/{out.id}"
    return out


@router.post("/v1/reports:batch", response_model=BatchOut)
def submit_batch(
    body: BatchIn, who: HotlineDep, state: StateDep, reader: ReadSession
) -> dict[str, Any]:
    """Submits up to 1000 reports; each gets its own result, in order."""
    if len(body.reports) > MAX_BATCH:
        raise TooLarge(f"a batch holds at most {MAX_BATCH} reports, not {len(body.reports)}")
    results: list[dict[str, Any]] = [{} for _ in body.reports]
    checked: list[tuple[int, service.Checked]] = []
    for index, item in enumerate(body.reports):
        try:
            checked.append((index, service.parse_item(item, index, state.intake.networks)))
        except HubError as error:
            results[index] = error.problem()
    items = [c for _, c in checked]
    hostings = intake.lookups(reader, state.intake, who.subject, items) if items else []
    reader.close()  # no read transaction stays open while the reports are recorded
    outcomes = state.group_commit.submit_many(who.subject, items, hostings)
    for (index, _), outcome in zip(checked, outcomes, strict=True):
        if isinstance(outcome, HubError):
            results[index] = outcome.problem()
        else:
            out, created = outcome
            results[index] = {**out.model_dump(mode="json"), "status": 201 if created else 200}
    count_rejected(state.tally, [r["status"] for r in results if r["status"] >= 400])
    return {"results": results}


@router.get("/v1/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: ReportPath, who: HotlineDep, session: ReadSession) -> ReportOut:
    return service.get_own(session, who.subject, report_id)


@router.get("/v1/reports", response_model=Page[ReportOut])
def list_reports(who: HotlineDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    """The caller's own reports, oldest first."""
    return page(service.list_own(session, who.subject, after, limit), limit)
