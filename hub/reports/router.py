"""Report intake and reading: `/v1/reports`, `/v1/reports:batch` (hotline)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from starlette.concurrency import run_in_threadpool

from hub.deps import AfterDep, HotlineDep, LimitDep, ReadSession, StateDep
from hub.errors import HubError, TooLarge
from hub.metrics.middleware import count_rejected
from hub.pagination import page
from hub.reports import intake, service
from hub.state import HubState
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
async def submit_report(
    body: ReportIn, who: HotlineDep, state: StateDep, response: Response
) -> ReportOut:
    """Submits one hash-only report; `reference` is the idempotency key."""
    # One worker-thread hop for the whole write (a sync route and its session dependency
    # cost four): under load each hop waits for the GIL.
    out, created = await run_in_threadpool(_submit_one, state, who.subject, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/reports/{out.id}"
    return out


def _submit_one(state: HubState, hotline_id: str, body: ReportIn) -> tuple[ReportOut, bool]:
    checked = service.check(body, networks=state.intake.networks)
    with state.database.session(write=False) as reader:
        [hosting] = intake.lookups(reader, state.intake, hotline_id, [checked])
    # No read transaction stays open while the report is recorded.
    outcome = state.group_commit.submit(hotline_id, checked, hosting)
    if isinstance(outcome, HubError):
        raise outcome
    return outcome


@router.post("/v1/reports:batch", response_model=BatchOut)
async def submit_batch(body: BatchIn, who: HotlineDep, state: StateDep) -> dict[str, Any]:
    """Submits up to 1000 reports; each gets its own result, in order."""
    if len(body.reports) > MAX_BATCH:
        raise TooLarge(f"a batch holds at most {MAX_BATCH} reports, not {len(body.reports)}")
    return await run_in_threadpool(_submit_many, state, who.subject, body.reports)


def _submit_many(state: HubState, hotline_id: str, reports: list[Any]) -> dict[str, Any]:
    results: list[dict[str, Any]] = [{} for _ in reports]
    checked: list[tuple[int, service.Checked]] = []
    for index, item in enumerate(reports):
        try:
            checked.append((index, service.parse_item(item, index, state.intake.networks)))
        except HubError as error:
            results[index] = error.problem()
    items = [c for _, c in checked]
    hostings: list[service.Hosting | None] = []
    if items:
        with state.database.session(write=False) as reader:
            hostings = intake.lookups(reader, state.intake, hotline_id, items)
    # No read transaction stays open while the reports are recorded.
    outcomes = state.group_commit.submit_many(hotline_id, items, hostings)
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
