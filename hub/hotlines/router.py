"""Hotline and route administration: `/v1/hotlines`, `/v1/routes/{country}`,
`/v1/routes/cdn/{provider}` (admin)."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from sqlalchemy.orm import Session

from hub import paths  # noqa: F401  (registers the path segment rules used below)
from hub.deps import AdminDep, AfterDep, LimitDep, ReadSession, StateDep
from hub.errors import Invalid, field_error
from hub.geo.cdn import Provider
from hub.hotlines import routes, service
from hub.hotlines.models import CdnRoute, Route
from hub.pagination import page
from hub.state import HubState
from schemas.common import Page
from schemas.hotlines import (
    CdnProvider,
    CdnRouteOut,
    HotlineIn,
    HotlineOut,
    HotlinePatch,
    RouteIn,
    RouteOut,
)

router = APIRouter(tags=["administration"])
HotlinePath = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{2,16}$")]
CountryPath = Annotated[str, Path(pattern=r"^[A-Z]{2}$")]
ProviderPath = Annotated[CdnProvider, Path()]


@router.post("/v1/hotlines", status_code=status.HTTP_201_CREATED, response_model=HotlineOut)
def register_hotline(
    body: HotlineIn, who: AdminDep, state: StateDep, response: Response
) -> HotlineOut:
    with state.database.transaction() as session:
        hotline = service.register(session, body, who.subject, state.webhook_check)
        out = service.to_wire(session, hotline)
    response.headers["Location"] = f"/v1/hotlines/{out.id}"
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
    state: StateDep,
) -> HotlineOut:
    with state.database.transaction() as session:
        hotline = service.update(session, hotline_id, body, who.subject, state.webhook_check)
        return service.to_wire(session, hotline)


def _route_out(session: Session, route: Route) -> RouteOut:
    fallback = not service.serves(session, route.hotline_id, route.country)
    kind = "fallback" if fallback else "primary"
    return RouteOut(country=route.country, hotline=route.hotline_id, kind=kind)


def _provider(state: HubState, provider: str) -> Provider:
    networks = state.intake.networks
    found = networks.providers.get(provider) if networks is not None else None
    if found is None:
        raise Invalid([field_error(["path", "provider"], f"no CDN provider '{provider}' is known")])
    return found


def _cdn_route_out(state: HubState, route: CdnRoute) -> CdnRouteOut:
    provider = _provider(state, route.provider)
    return CdnRouteOut(
        provider=provider.id, name=provider.name, country=provider.country, hotline=route.hotline_id
    )


@router.put("/v1/routes/cdn/{provider}", response_model=CdnRouteOut)
def set_cdn_route(
    provider: ProviderPath, body: RouteIn, who: AdminDep, state: StateDep
) -> CdnRouteOut:
    """Sets the hotline for cases behind a CDN (default: its home country's hotline)."""
    with state.database.transaction() as session:
        route = routes.set_cdn_route(session, _provider(state, provider), body.hotline, who.subject)
        return _cdn_route_out(state, route)


@router.get("/v1/routes/cdn", response_model=Page[CdnRouteOut])
def list_cdn_routes(
    who: AdminDep, session: ReadSession, state: StateDep, limit: LimitDep, after: AfterDep
) -> dict:
    found = [
        r
        for r in routes.list_cdn_routes(session, after, limit)
        if state.intake.networks and r.provider in state.intake.networks.providers
    ]
    return page([_cdn_route_out(state, r) for r in found], limit, lambda r: r.provider)


@router.delete("/v1/routes/cdn/{provider}", status_code=status.HTTP_204_NO_CONTENT)
def delete_cdn_route(provider: ProviderPath, who: AdminDep, state: StateDep) -> Response:
    """Removes the CDN's route: its cases go to its home country's hotline again."""
    with state.database.transaction() as session:
        routes.delete_cdn_route(session, provider, who.subject)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/v1/routes/{country:country}", response_model=RouteOut)
def set_route(country: CountryPath, body: RouteIn, who: AdminDep, state: StateDep) -> RouteOut:
    """Picks the primary hotline of a country that several hotlines serve, or the fallback
    hotline of a country no member hotline serves."""
    with state.database.transaction() as session:
        route = service.set_route(session, country, body.hotline, who.subject)
        return _route_out(session, route)


@router.delete("/v1/routes/{country:country}", status_code=status.HTTP_204_NO_CONTENT)
def delete_route(country: CountryPath, who: AdminDep, state: StateDep) -> Response:
    with state.database.transaction() as session:
        routes.delete_route(session, country, who.subject)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/routes", response_model=Page[RouteOut])
def list_routes(who: AdminDep, session: ReadSession, limit: LimitDep, after: AfterDep) -> dict:
    found = service.list_routes(session, after, limit)
    return page([_route_out(session, r) for r in found], limit, lambda r: r.country)
