"""The secretariat's commands (admin): `hotlines`, `tokens`, `routes`, the `unassigned`
queue, `dead` deliveries, and `stats`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
from rich.console import RenderableType
from rich.json import JSON
from typer.core import TyperGroup

from clients import NOT_GIVEN, HubClient
from clients.cli.app import JsonFlag, LimitFlag, app, connect, listed, moment
from clients.cli.output import Columns, cell, fields, show, stderr, table
from schemas.hotlines import PrincipalKind
from schemas.referrals import Status

Pages = Callable[[HubClient], Callable[..., Iterator[Any]]]


def _group(
    name: str, summary: str, pages: Pages, columns: Columns, *, list_help: str | None = None
) -> typer.Typer:
    """A command group that lists what it holds (--limit, --json) when run without a
    subcommand, and with `list_help` as its `list` subcommand too."""
    group = typer.Typer(cls=TyperGroup, help=summary, invoke_without_command=True)

    def list_all(ctx: typer.Context, limit: LimitFlag = None, as_json: JsonFlag = False) -> None:
        if ctx.invoked_subcommand is None:
            items = listed(pages(connect(ctx)), limit)
            show(items, as_json, columns.of(items))

    group.callback()(list_all)
    if list_help:
        group.command("list", help=list_help)(list_all)
    app.add_typer(group, name=name)
    return group


hotlines_app = _group(
    "hotlines",
    "Member hotlines (admin).",
    lambda hub: hub.hotlines.list,
    Columns(
        "hotlines",
        ["id", "name", "countries", "active", "webhook", "keys"],
        lambda h: [h.id, h.name, h.countries, h.active, h.webhook_url, len(h.public_keys)],
    ),
    list_help="List the hotlines.",
)


@hotlines_app.command("get")
def hotlines_get(
    ctx: typer.Context,
    hotline_id: Annotated[str, typer.Argument(help="e.g. GB-IWF")],
    as_json: JsonFlag = False,
) -> None:
    """Show one hotline."""
    found = connect(ctx).hotlines.get(hotline_id)
    show(found, as_json, fields(f"hotline {hotline_id}", found))


@hotlines_app.command("add")
def hotlines_add(
    ctx: typer.Context,
    hotline_id: Annotated[str, typer.Argument(help="e.g. GB-IWF (country prefix).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    countries: Annotated[
        list[str], typer.Option("--country", help="A country it serves (repeat for several).")
    ],
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Where the hub pushes its events.")
    ] = None,
    public_keys: Annotated[
        list[str] | None,
        typer.Option("--public-key", help="Base64 Ed25519 key that signs its status updates."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a hotline."""
    created = connect(ctx).hotlines.create(
        hotline_id,
        name=name,
        countries=countries,
        webhook_url=webhook_url,
        public_keys=public_keys or [],
    )
    show(created, as_json, fields(f"hotline {created.id} registered", created))


@hotlines_app.command("update")
def hotlines_update(
    ctx: typer.Context,
    hotline_id: Annotated[str, typer.Argument(help="e.g. GB-IWF")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    countries: Annotated[
        list[str] | None, typer.Option("--country", help="Replaces the countries (repeat).")
    ] = None,
    webhook_url: Annotated[str | None, typer.Option("--webhook-url")] = None,
    no_webhook: Annotated[bool, typer.Option("--no-webhook", help="Remove the webhook.")] = False,
    public_keys: Annotated[
        list[str] | None, typer.Option("--public-key", help="Replaces the keys (repeat).")
    ] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Suspend or reinstate.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a hotline: only the options given change."""
    changed = connect(ctx).hotlines.update(
        hotline_id,
        name=name if name is not None else NOT_GIVEN,
        countries=countries if countries else NOT_GIVEN,
        webhook_url=None if no_webhook else (webhook_url if webhook_url is not None else NOT_GIVEN),
        public_keys=public_keys if public_keys else NOT_GIVEN,
        active=active if active is not None else NOT_GIVEN,
    )
    show(changed, as_json, fields(f"hotline {changed.id}", changed))


tokens_app = _group(
    "tokens",
    "API tokens (admin).",
    lambda hub: hub.tokens.list,  # never their secrets
    Columns(
        "tokens",
        ["id", "principal", "subject", "created", "expires", "revoked"],
        lambda t: [t.id, t.principal, t.subject, t.created_at, t.expires_at, t.revoked_at],
    ),
    list_help="List the tokens (never their secrets).",
)


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    principal: Annotated[PrincipalKind, typer.Option("--principal", help="Who holds it.")],
    subject: Annotated[
        str, typer.Option("--subject", help="The hotline id, or a label for admins and auditors.")
    ],
    expires_at: Annotated[
        str | None, typer.Option("--expires-at", help="RFC 3339 expiry (default: none).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue a token; the secret is printed this once (on stdout, alone)."""
    expiry = moment(expires_at) if expires_at else None
    created = connect(ctx).tokens.create(principal, subject, expires_at=expiry)

    def human() -> None:
        print(created.token)  # alone on stdout, for a script to keep
        stderr().print(
            f"created {created.id} ({created.principal.value} {created.subject}); store it now"
        )

    show(created, as_json, human)


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_…), not its secret.")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke a token: refused from the next request on."""
    revoked = connect(ctx).tokens.revoke(token_id)
    show(revoked, as_json, f"revoked {revoked.id}")


routes_app = typer.Typer(
    cls=TyperGroup,
    help="Primary hotline of countries several hotlines serve (admin).",
    invoke_without_command=True,
)
app.add_typer(routes_app, name="routes")
ROUTES = Columns("routes", ["country", "hotline"], lambda r: [r.country, r.hotline])


@routes_app.callback()
def _routes(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Without a subcommand, every route (there are few: no --limit)."""
    if ctx.invoked_subcommand is None:
        items = listed(connect(ctx).routes.list, None)
        show(items, as_json, ROUTES.of(items))


@routes_app.command("set")
def routes_set(
    ctx: typer.Context,
    country: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2, e.g. NL.")],
    hotline_id: Annotated[str, typer.Argument(help="The primary hotline for it.")],
    as_json: JsonFlag = False,
) -> None:
    """Pick the primary hotline of a country."""
    route = connect(ctx).routes.set(country, hotline_id)
    show(route, as_json, f"{route.country} → {route.hotline}")


unassigned_app = _group(
    "unassigned",
    "The unassigned queue (admin).",  # cases no member hotline serves
    lambda hub: hub.cases.unassigned,
    Columns(
        "unassigned cases",
        ["id", "reason", "country", "reporters", "url", "created"],
        lambda c: [c.id, c.routing_reason, c.hosting.country, c.reporters, c.url, c.created_at],
    ),
)


@unassigned_app.command("route")
def unassigned_route(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="An unassigned case.")],
    hotline_id: Annotated[str, typer.Argument(help="The hotline to refer it to.")],
    as_json: JsonFlag = False,
) -> None:
    """Route an unassigned case to a hotline by hand."""
    routed = connect(ctx).cases.route(case_id, hotline_id)
    show(routed, as_json, f"{routed.id} referred to {hotline_id} ({routed.referral})")


dead_app = _group(
    "dead",
    "Events that could not be pushed (admin).",
    lambda hub: hub.deliveries.dead,
    Columns(
        "dead deliveries",
        ["event", "type", "recipient", "attempts", "last error", "created"],
        lambda d: [d.id, d.type, d.recipient, d.attempts, d.last_error, d.created_at],
    ),
)


@dead_app.command("retry")
def dead_retry(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(help="The event (evt_…) to push again.")],
    as_json: JsonFlag = False,
) -> None:
    """Put a dead event back in line for a push now."""
    delivery = connect(ctx).deliveries.retry(event_id)
    show(delivery, as_json, f"{delivery.id} is {delivery.state} again")


@app.command()
def stats(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Counts and times by country, hotline and status (admin)."""
    figures = connect(ctx).stats().model_dump(mode="json")
    show(figures, as_json, _stats_tables(figures))


KNOWN_STATS = ("cases", "referrals", "by_country", "referrals_by_hotline", "reports_by_hotline",
               "time_to_referral", "time_to_removal")  # fmt: skip


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    value = float(seconds)
    for unit, size, smaller, smaller_size in (
        ("d", 86400, "h", 3600),
        ("h", 3600, "m", 60),
        ("m", 60, "s", 1),
    ):
        if value >= size:
            rest = int((value % size) // smaller_size)
            return f"{int(value // size)}{unit} {rest}{smaller}"
    return f"{value:.1f}s"


def _timing(timing: dict[str, Any], group: str, key: str) -> list[str]:
    figures = timing.get(group, {}).get(key, {}) if group else timing.get("all", {})
    return [_duration(figures.get("p50")), _duration(figures.get("p90"))]


def _stats_tables(figures: dict[str, Any]) -> list[RenderableType]:
    """The statistics as tables: overview, by status, by hosting country, by hotline."""
    cases = figures.get("cases", {})
    referrals = figures.get("referrals", {})
    to_referral = figures.get("time_to_referral", {})
    to_removal = figures.get("time_to_removal", {})
    overview = table(
        "overview",
        ["", "value"],
        [
            ["cases", _number(cases.get("total"))],
            ["unassigned cases", _number(cases.get("unassigned"))],
            ["referrals", _number(referrals.get("total"))],
            ["time to referral p50 / p90", " / ".join(_timing(to_referral, "", ""))],
            ["time to removal p50 / p90", " / ".join(_timing(to_removal, "", ""))],
        ],
    )
    case_statuses = cases.get("by_status", {})
    referral_statuses = referrals.get("by_status", {})
    statuses = [s.value for s in Status if s.value in case_statuses or s.value in referral_statuses]
    by_status = table(
        "by status",
        ["status", "cases", "referrals"],
        [
            [s, _number(case_statuses.get(s, 0)), _number(referral_statuses.get(s, 0))]
            for s in statuses
        ],
    )
    timing_columns = ["to referral p50", "p90", "to removal p50", "p90"]
    by_country = figures.get("by_country", {})
    columns = [s.value for s in Status if any(s.value in row for row in by_country.values())]
    by_country_table = table(
        "by hosting country (cases)",
        ["country", *columns, *timing_columns],
        [
            [
                country,
                *[_number(row.get(c, 0)) for c in columns],
                *_timing(to_referral, "by_country", country),
                *_timing(to_removal, "by_country", country),
            ]
            for country, row in sorted(by_country.items())
        ],
    )
    by_hotline = figures.get("referrals_by_hotline", {})
    reported = figures.get("reports_by_hotline", {})
    columns = [s.value for s in Status if any(s.value in row for row in by_hotline.values())]
    by_hotline_table = table(
        "by hotline (reports sent, referrals received)",
        ["hotline", "reports", *columns, *timing_columns],
        [
            [
                hotline,
                _number(reported.get(hotline, 0)),
                *[_number(by_hotline.get(hotline, {}).get(c, 0)) for c in columns],
                *_timing(to_referral, "by_hotline", hotline),
                *_timing(to_removal, "by_hotline", hotline),
            ]
            for hotline in sorted(set(by_hotline) | set(reported))
        ],
    )
    others = {k: v for k, v in figures.items() if k not in KNOWN_STATS}
    # Figures of a newer hub that this hubctl has no table for, shown as they came.
    return [overview, by_status, by_country_table, by_hotline_table] + (
        [JSON.from_data(others)] if others else []
    )


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return cell(value)
