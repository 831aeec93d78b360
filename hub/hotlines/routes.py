"""Protocol 1.1 routes: the hotline for cases behind each CDN, and deleting routes.

Country routes (primary or fallback) are set in `hub.hotlines.service.set_route`.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import Invalid, NotFound, field_error
from hub.geo.cdn import Provider
from hub.hotlines.models import CdnRoute, Hotline, Route
from hub.hotlines.service import route_for_country
from hub.log import queue


def delete_route(session: Session, country: str, actor: str) -> None:
    route = session.get(Route, country)
    if route is None:
        raise NotFound(f"no route for {country}")
    session.delete(route)
    session.flush()
    queue.log(session, "route.deleted", actor=actor, subject={"country": country}, country=country)


def set_cdn_route(session: Session, provider: Provider, hotline_id: str, actor: str) -> CdnRoute:
    if session.get(Hotline, hotline_id) is None:
        raise Invalid(
            [field_error(["body", "hotline"], f"no hotline '{hotline_id}' is registered")]
        )
    route = session.get(CdnRoute, provider.id)
    if route is None:
        route = CdnRoute(provider=provider.id, hotline_id=hotline_id)
        session.add(route)
    else:
        route.hotline_id = hotline_id
    session.flush()
    queue.log(
        session,
        "route.cdn_set",
        actor=actor,
        subject={"cdn": provider.id, "hotline": hotline_id},
        cdn=provider.id,
        to=hotline_id,
    )
    return route


def delete_cdn_route(session: Session, provider: str, actor: str) -> None:
    route = session.get(CdnRoute, provider)
    if route is None:
        raise NotFound(f"no route for CDN '{provider}'")
    session.delete(route)
    session.flush()
    queue.log(session, "route.cdn_deleted", actor=actor, subject={"cdn": provider}, cdn=provider)


def list_cdn_routes(session: Session, after: str | None, limit: int) -> list[CdnRoute]:
    query = select(CdnRoute).order_by(CdnRoute.provider).limit(limit)
    if after:
        query = query.where(CdnRoute.provider > after)
    return list(session.scalars(query))


def hotline_for_cdn(session: Session, provider: Provider) -> str | None:
    """The active hotline the admin set for `provider`, else the provider's home country's."""
    route = session.get(CdnRoute, provider.id)
    if route is not None:
        hotline = session.get(Hotline, route.hotline_id)
        if hotline is not None and hotline.active:
            return hotline.id
    return route_for_country(session, provider.country).hotline
