"""Registering and changing hotlines, and picking the hotline a country's cases go to.

Webhook URLs are checked here (https, public addresses) and again at send time.
"""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, literal, select, union_all
from sqlalchemy.orm import Session

from hub import clock
from hub.db import execute
from hub.errors import Conflict, Invalid, NotFound, field_error
from hub.hotlines.models import Hotline, HotlineCountry, Route
from hub.log import queue
from hub.log.queue import Entry
from hub.urls import normalise_webhook_url
from schemas.hotlines import HotlineIn, HotlineOut, HotlinePatch

# Given a webhook URL, returns an error message or None; set by the delivery domain.
WebhookCheck = Callable[[str], str | None]


def to_wire(session: Session, hotline: Hotline) -> HotlineOut:
    return HotlineOut(
        id=hotline.id,
        name=hotline.name,
        countries=countries_of(session, hotline.id),
        webhook_url=hotline.webhook_url,
        public_keys=list(hotline.public_keys),
        active=hotline.active,
        created_at=hotline.created_at,
    )


def countries_of(session: Session, hotline_id: str) -> list[str]:
    query = select(HotlineCountry.country).where(HotlineCountry.hotline_id == hotline_id)
    return sorted(session.scalars(query))


def _check_keys(keys: list[str]) -> None:
    errors = []
    for index, key in enumerate(keys):
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        # A non-canonical spelling (stray padding bits) could carry a few bits of text.
        if len(raw) != 32 or base64.b64encode(raw).decode() != key:
            errors.append(
                field_error(
                    ["body", "public_keys", index], "must be base64 of a 32-byte Ed25519 key"
                )
            )
    if len(set(keys)) != len(keys):
        errors.append(field_error(["body", "public_keys"], "lists a key twice"))
    if errors:
        raise Invalid(errors)


def _check_webhook(url: str | None, check: WebhookCheck) -> str | None:
    """The webhook URL as stored: WHATWG's serialisation, once it passed `check`."""
    if url is None:
        return None
    problem = check(url)
    if problem:
        raise Invalid([field_error(["body", "webhook_url"], problem)])
    return normalise_webhook_url(url)


def register(session: Session, body: HotlineIn, actor: str, check: WebhookCheck) -> Hotline:
    _check_keys(body.public_keys)
    webhook_url = _check_webhook(body.webhook_url, check)
    if session.get(Hotline, body.id) is not None:
        raise Conflict(f"hotline '{body.id}' is already registered")
    now = clock.utcnow()
    hotline = Hotline(
        id=body.id,
        name=body.name,
        webhook_url=webhook_url,
        public_keys=body.public_keys,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(hotline)
    session.add_all(HotlineCountry(country=c, hotline_id=body.id) for c in body.countries)
    session.flush()
    _log_change(session, "hotline.registered", hotline, actor, body.public_keys, [])
    return hotline


def update(
    session: Session, hotline_id: str, patch: HotlinePatch, actor: str, check: WebhookCheck
) -> Hotline:
    hotline = get(session, hotline_id)
    changes = patch.model_dump(exclude_unset=True)
    for field in ("name", "active"):
        if changes.get(field) is None and field in changes:
            raise Invalid([field_error(["body", field], "may not be null")])
    old_keys = list(hotline.public_keys)
    if "public_keys" in changes:
        if changes["public_keys"] is None:
            raise Invalid([field_error(["body", "public_keys"], "may not be null; send []")])
        _check_keys(changes["public_keys"])
        hotline.public_keys = changes["public_keys"]
    if "webhook_url" in changes:
        hotline.webhook_url = _check_webhook(changes["webhook_url"], check)
    if "name" in changes:
        hotline.name = changes["name"]
    if "active" in changes:
        hotline.active = changes["active"]
    if changes.get("countries") is not None:
        session.execute(delete(HotlineCountry).where(HotlineCountry.hotline_id == hotline_id))
        session.add_all(
            HotlineCountry(country=c, hotline_id=hotline_id) for c in changes["countries"]
        )
        session.execute(
            delete(Route).where(
                Route.hotline_id == hotline_id, Route.country.not_in(changes["countries"])
            )
        )
    elif "countries" in changes:
        raise Invalid([field_error(["body", "countries"], "may not be null")])
    hotline.updated_at = clock.utcnow()
    session.flush()
    _log_change(session, "hotline.changed", hotline, actor, hotline.public_keys, old_keys)
    return hotline


def _log_change(
    session: Session, kind: str, hotline: Hotline, actor: str, keys: list[str], old_keys: list[str]
) -> None:
    """The change's leaf, then one leaf per key added or revoked, in one append."""
    wire = to_wire(session, hotline).model_dump(mode="json")
    fields = {"hotline": hotline.id}
    entries = [Entry(kind, actor, wire, fields)]
    for type, changed in (
        ("key.added", set(keys) - set(old_keys)),
        ("key.revoked", set(old_keys) - set(keys)),
    ):
        entries += [
            Entry(type, actor, {"hotline": hotline.id, "key": key}, fields)
            for key in sorted(changed)
        ]
    queue.log_many(session, entries)


def get(session: Session, hotline_id: str) -> Hotline:
    hotline = session.get(Hotline, hotline_id)
    if hotline is None:
        raise NotFound(f"no hotline '{hotline_id}'")
    return hotline


def list_hotlines(session: Session, after: str | None, limit: int) -> list[Hotline]:
    query = select(Hotline).order_by(Hotline.id).limit(limit)
    if after:
        query = query.where(Hotline.id > after)
    return list(session.scalars(query))


def set_route(session: Session, country: str, hotline_id: str, actor: str) -> Route:
    """The primary of a country several hotlines serve, or (1.1) the fallback hotline of a
    country no member hotline serves."""
    hotline = session.get(Hotline, hotline_id)
    if hotline is None:
        raise Invalid(
            [field_error(["body", "hotline"], f"no hotline '{hotline_id}' is registered")]
        )
    members = session.scalars(
        select(HotlineCountry.hotline_id).where(HotlineCountry.country == country)
    ).all()
    if members and hotline_id not in members:
        raise Invalid(
            [
                field_error(
                    ["body", "hotline"],
                    f"'{hotline_id}' does not serve {country}; a fallback route is only "
                    "for a country no member hotline serves",
                )
            ]
        )
    route = session.get(Route, country)
    if route is None:
        route = Route(country=country, hotline_id=hotline_id)
        session.add(route)
    else:
        route.hotline_id = hotline_id
    session.flush()
    queue.log(
        session,
        "route.set",
        actor=actor,
        subject={"country": country, "hotline": hotline_id},
        country=country,
        to=hotline_id,
    )
    return route


@dataclass(frozen=True)
class CountryRoute:
    """Where a case hosted in a country goes, and every hotline that serves the country."""

    reason: str  # "hosting_country" | "fallback" | "no_member_hotline"
    hotline: str | None
    members: frozenset[str]  # active or not

    def for_reporter(self, reporter: str) -> tuple[str, str | None]:
        """The routing reason and hotline of a case `reporter` opened: a reporter that
        serves the country handles the case itself (PROTOCOL 4.2 step 3)."""
        return ("domestic", None) if reporter in self.members else (self.reason, self.hotline)


def _route_query() -> Any:
    country = bindparam("country")
    candidates = union_all(
        select(HotlineCountry.hotline_id, literal(True).label("member")).where(
            HotlineCountry.country == country
        ),
        select(Route.hotline_id, literal(False).label("member")).where(Route.country == country),
    ).subquery()
    return (
        select(candidates.c.hotline_id, candidates.c.member, Hotline.active)
        .join(Hotline, Hotline.id == candidates.c.hotline_id)
        .order_by(Hotline.created_at, Hotline.id)
    )


# Built once: building the union each call cost more than running it.
_ROUTE_QUERY = _route_query()


def route_for_country(session: Session, country: str) -> CountryRoute:
    """The country's active member hotline (the admin's pick, else the first registered),
    else the active fallback the admin set for it; one query for members and route."""
    rows = execute(session, _ROUTE_QUERY, {"country": country}).all()
    members = frozenset(row.hotline_id for row in rows if row.member)
    active = [row.hotline_id for row in rows if row.member and row.active]
    picked = next((row for row in rows if not row.member), None)
    if active:
        chosen = picked.hotline_id if picked is not None and picked.hotline_id in active else None
        return CountryRoute("hosting_country", chosen or active[0], members)
    if picked is not None and picked.active and not members:
        return CountryRoute("fallback", picked.hotline_id, members)
    return CountryRoute("no_member_hotline", None, members)


def serves(session: Session, hotline_id: str, country: str) -> bool:
    query = select(HotlineCountry).where(
        HotlineCountry.hotline_id == hotline_id, HotlineCountry.country == country
    )
    return session.scalar(query) is not None


def list_routes(session: Session, after: str | None, limit: int) -> list[Route]:
    query = select(Route).order_by(Route.country).limit(limit)
    if after:
        query = query.where(Route.country > after)
    return list(session.scalars(query))
