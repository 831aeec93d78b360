"""Hotline and route administration: `/v1/hotlines`, `/v1/routes/{country}` (admin)."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from hub.deps import AdminDep, AfterDep, LimitDep, ReadSession, StateDep, WriteSession
from hub.hotlines import service
from hub.pagination import page
from schemas.common import Page
from schemas.hotlines import HotlineIn, HotlineOut, HotlinePatch, RouteIn, RouteOut

router = APIRouter(tags=["administration"])
HotlinePath = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{2,16}$")]
CountryPath = Annotated[str, Path(pattern=r"^[A-Z]{2}$")]


@router.post("/v1/hotlines", status_code=status.HTTP_201_CREATED, response_model=HotlineOut)
def register_hotline(
    body: HotlineIn, who: AdminDep, session: WriteSession, state: StateDep, response: Response
) -> HotlineOut:
    hotline = service.register(session, body, who.subject, state.webhook_check)
    out = service.to_wire(session, hotline)
    session.commit()
    response.headers["Location"] = f"/v1/hotlines/{hotline.id}"
    return out


@router.get("/v1/hotlines", response_model=Page[HotlineOut])
def list_hotlines(who: AdminDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    hotlines = service.list_hotlines(session, after, limit)
    return page([service.to_wire(session, h) for h in hotlines], limit)


@router.get("/v1/hotlines/{hotline_id}", response_model=HotlineOut)
def get_hotline(hotline_id: HotlinePath, who: AdminDep, session: ReadSession) -> HotlineOut:
    return service.to_wire(session, service.get(session, hotline_id))


@router.patch("/v1/hotlines/{hotline_id}", response_model=HotlineOut)
def change_hotline(
    hotline_id: HotlinePath,
    body: HotlinePatch,
    who: AdminDep,
    session: WriteSession,
    state: StateDep,
) -> HotlineOut:
    hotline = service.update(session, hotline_id, body, who.subject, state.webhook_check)
    out = service.to_wire(session, hotline)
    session.commit()
    return out


@router.put("/v1/routes/{country}", response_model=RouteOut)
def set_route(
    country: CountryPath, body: RouteIn, who: AdminDep, session: WriteSession
) -> RouteOut:
    """Picks the primary hotline of a country that several hotlines serve."""
    route = service.set_route(session, country, body.hotline, who.subject)
    session.commit()
    return RouteOut(country=route.country, hotline=route.hotline_id)


@router.get("/v1/routes", response_model=Page[RouteOut])
def list_routes(who: AdminDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    routes = service.list_routes(session, after, limit)
    return page(
        [RouteOut(country=r.country, hotline=r.hotline_id) for r in routes],
        limit,
        lambda r: r.country,
    )
