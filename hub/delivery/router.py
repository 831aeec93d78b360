"""The pull feed of a hotline's events (`/v1/events`) and the admin's view of pushes
(`/v1/deliveries`): thin routes over hub.delivery.service.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from hub.delivery import service
from hub.deps import (
    AdminDep,
    HotlineDep,
    LimitDep,
    ReadSession,
    SeqAfterDep,
    StateDep,
)
from hub.exchange import sequencer
from hub.pagination import page
from hub.referrals import status
from schemas.common import Page
from schemas.events import AckIn, AckOut, DeliveryOut, DeliveryState, EventOut

router = APIRouter()
EventPath = Annotated[str, Path(max_length=40)]


@router.get("/v1/events", response_model=Page[EventOut], tags=["events"])
def pull(
    who: HotlineDep, state: StateDep, session: ReadSession, limit: LimitDep, after: SeqAfterDep
) -> dict:
    """The caller's events in hub order, each signed as it is served (as a push would be).

    `next` is the cursor after the last item; it is null only when there was nothing new.
    """
    # Events get their cursor from the sequencer: number what has committed before reading.
    sequencer.catch_up(state.database, state.keyring, state.settings.log_origin)
    events = service.feed(session, who.subject, service.parse_cursor(after), limit)
    return service.feed_page(session, events)


@router.post("/v1/events/ack", response_model=AckOut, tags=["events"])
def ack(body: AckIn, who: HotlineDep, state: StateDep) -> AckOut:
    """Marks the caller's events delivered; ids that are not the caller's are ignored."""
    with state.database.transaction() as session:
        acknowledged = service.ack(session, who.subject, body.ids, status.record_deliveries)
    return AckOut(acknowledged=acknowledged)


@router.get("/v1/deliveries", response_model=Page[DeliveryOut], tags=["administration"])
def deliveries(
    who: AdminDep,
    session: ReadSession,
    limit: LimitDep,
    after: SeqAfterDep,
    state: Annotated[DeliveryState, Query()] = "dead",
) -> dict:
    """Pushes by state, oldest first: `dead` lists events that could not be pushed."""
    events = service.deliveries(session, state, service.parse_cursor(after), limit)
    listed = page(events, limit, lambda numbered: str(numbered[0]))
    return {"items": [service.to_delivery(e) for _, e in events], "next": listed["next"]}


@router.post("/v1/deliveries/{event_id}/retry", response_model=DeliveryOut, tags=["administration"])
def retry(event_id: EventPath, who: AdminDep, state: StateDep) -> dict:
    """Puts an event back in line for a push now, with its attempts reset."""
    with state.database.transaction() as session:
        return service.to_delivery(service.retry(session, event_id))
