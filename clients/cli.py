"""`hubctl`, the hub's command line: every command is one SDK call and some printing.
Configuration comes from flags (--hub, --token), HUB_URL / HUB_TOKEN, or the config file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from clients import _base, errors
from clients._bulk import CSV_COLUMNS, BulkSubmit, Counts, count_records
from clients._config import ConfigError, Profile, default_state_dir, load_profile
from clients._note import NoteError
from clients._report_body import report_body
from clients._sync import HubClient
from clients.audit import AuditResult
from clients.hash_command import hash_files
from clients.hashing import hash_file
from clients.webhooks import Receiver, WebhookVerificationError, verify_event
from schemas.common import format_timestamp
from schemas.hotlines import PrincipalKind
from schemas.referrals import CaseOut, ReferralOut, Status
from schemas.reports import AgeGroup, Classification, ContentKind, SiteType

__all__ = ["EXIT_CODES", "app", "main"]

EXIT_OK = 0
EXIT_HUB = 1
EXIT_USAGE = 2
EXIT_VERIFICATION = 3
EXIT_REJECTED = 4
EXIT_INTERRUPTED = 130
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_HUB: "the hub answered with a problem, or could not be reached",
    EXIT_USAGE: "bad usage or configuration (flags, config file, input file)",
    EXIT_VERIFICATION: "verification failed: checkpoint signature, rollback, fork, "
    "log entries, or an event signature",
    EXIT_REJECTED: "submit finished but the hub rejected some reports (see --errors)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); `submit --resume` continues",
}

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class _Failures(TyperGroup):
    """Turns failures anywhere below into one clear line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        def as_json() -> bool:
            return bool(ctx.meta.get(JSON_ERRORS))

        try:
            return super().invoke(ctx)
        except errors.AuditError as error:
            _fail(f"verification failed: {error}", EXIT_VERIFICATION, as_json())
        except WebhookVerificationError as error:
            _fail(f"verification failed: {error}", EXIT_VERIFICATION, as_json())
        except errors.InvalidInput as error:
            _fail(_describe(error), EXIT_USAGE, as_json(), error)
        except errors.HubError as error:
            _fail(_describe(error), EXIT_HUB, as_json(), error)
        except (ConfigError, NoteError, ValidationError, ValueError, OSError) as error:
            _fail(_usage_message(error), EXIT_USAGE, as_json())
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_INTERRUPTED, as_json())


def _fail(
    message: str, code: int, as_json: bool = False, problem: errors.HubError | None = None
) -> NoReturn:
    if as_json:
        # One JSON object on stderr, so a script reading --json output can parse failures too.
        failure: dict[str, Any] = {"error": message, "exit_code": code}
        if problem is not None and problem.problem:
            failure["problem"] = problem.problem
        print(json.dumps(failure, ensure_ascii=False), file=sys.stderr)
    else:
        stderr.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    raise typer.Exit(code)


def _usage_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors()
        )
        return f"invalid input: {fields}"
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return str(error)


def _describe(error: errors.HubError) -> str:
    lines = [str(error)]
    if isinstance(error, errors.UnprocessableEntity):
        lines = [str(error.args[0])]  # the fields follow, one a line
        lines += [f"  {'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in error.errors]
    if (
        isinstance(error, errors.Conflict)
        and error.allowed is not None
        and "allowed" not in lines[0]
    ):
        lines.append(f"  allowed next: {', '.join(error.allowed) or 'none'}")
    if isinstance(error, errors.RateLimited) and error.retry_after is not None:
        lines.append(f"  retry after {error.retry_after:.0f} s")
    return "\n".join(lines)


app = typer.Typer(
    cls=_Failures,
    name="hubctl",
    help=(
        "Command line of the Hotline Exchange Hub: submit reports, read referrals and "
        "events, post status, administer the hub, audit its signed log.\n\n"
        "Configuration: flags (--hub, --token, ...), else HUB_URL / HUB_TOKEN / "
        "HUBCTL_SIGNING_KEY, else the config file (~/.config/hubctl/config.toml, or "
        "--config; --profile or HUBCTL_PROFILE picks a table).\n\n"
        "Exit codes: "
        + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())
        + "."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JSON_ERRORS = "hubctl.json"


def _json_errors(ctx: typer.Context, value: bool) -> bool:
    if value:
        ctx.meta[JSON_ERRORS] = True  # ctx.meta is shared by the whole command line
    return value


JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        callback=_json_errors,
        help="Print JSON for scripts instead of a table (errors too, on stderr).",
    ),
]
LimitFlag = Annotated[
    int | None, typer.Option("--limit", min=1, help="Show at most this many (default: all).")
]


def _version(value: bool) -> None:
    if value:
        stdout.print(f"hubctl {_base.VERSION}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    hub: Annotated[
        str | None,
        typer.Option("--hub", envvar="HUB_URL", help="The hub's address (base URL)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="HUB_TOKEN", help="Bearer token (hotline, admin or auditor)."
        ),
    ] = None,
    signing_key: Annotated[
        str | None,
        typer.Option(
            "--signing-key",
            envvar="HUBCTL_SIGNING_KEY",
            help="Your hotline's Ed25519 key (PEM file) to sign status updates.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="HUBCTL_CONFIG",
            help="Config file (default ~/.config/hubctl/config.toml).",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="HUBCTL_PROFILE",
            help="Use the [profiles.NAME] table of the config file.",
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Seconds per request (default 30).")
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    ctx.obj = {
        "url": hub,
        "token": token,
        "signing_key": signing_key,
        "config": config,
        "profile": profile,
        "timeout": timeout,
    }


def _profile(ctx: typer.Context) -> Profile:
    root = ctx.find_root()
    options = root.obj or {}
    if "loaded" not in options:
        options["loaded"] = load_profile(**{k: v for k, v in options.items() if k != "loaded"})
        root.obj = options
        for warning in options["loaded"].warnings:
            stderr.print(f"warning: {escape(warning)}", markup=True)
    loaded: Profile = options["loaded"]
    return loaded


def _hub(ctx: typer.Context, *, token: bool = True) -> HubClient:
    profile = _profile(ctx)
    client = HubClient(
        profile.require_url_and_token() if token else profile.require_url(),
        profile.token,
        timeout=profile.timeout,
        signing_key=profile.signing_key,
    )
    ctx.call_on_close(client.close)
    return client


# Printing -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _print_json(value: Any) -> None:
    print(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return format_timestamp(value.replace(microsecond=0))
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json", exclude_none=True))
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _table(title: str, columns: list[str], rows: Iterable[list[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for position, column in enumerate(columns):
        # The first column is an id or a name: never broken, so it can be copied.
        table.add_column(column, overflow="fold", no_wrap=position == 0)
    count = 0
    for row in rows:
        table.add_row(*[_cell(v) for v in row])
        count += 1
    if count:
        stdout.print(table)
    else:
        stdout.print(f"{title}: none")


def _show(title: str, model: BaseModel, as_json: bool) -> None:
    if as_json:
        _print_json(model)
        return
    _table(title, ["field", "value"], [[k, getattr(model, k)] for k in type(model).model_fields])


def _limited(items: Iterator[Any], limit: int | None) -> list[Any]:
    return list(islice(items, limit)) if limit else list(items)


def _page_size(limit: int | None) -> int | None:
    return min(limit, 1000) if limit else 1000


def _time(value: str | None) -> datetime:
    if value is None or value == "now":
        return datetime.now(UTC).replace(microsecond=0)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} needs a time zone, e.g. 2026-11-24T09:30:00Z")
    return moment


# Reports ------------------------------------------------------------------------------


class FileFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"


def _summary(counts: Counts, skipped: int, as_json: bool) -> None:
    if as_json:
        _print_json({**counts.as_dict(), "total": counts.total, "skipped": skipped})
        return
    table = Table(title="Submitted", title_justify="left")
    for name in ("routed", "joined", "domestic", "unassigned", "rejected", "total"):
        table.add_column(name, justify="right")
    table.add_row(*[str(v) for v in (*list(counts.as_dict().values())[:5], counts.total)])
    stdout.print(table)
    notes = []
    if counts.replayed:
        notes.append(f"{counts.replayed} were already on the hub (replays of their reference)")
    if skipped:
        notes.append(f"{skipped} lines skipped as confirmed by an earlier run")
    for note in notes:
        stdout.print(note)


@app.command(
    epilog="CSV columns (header row required, empty cells left out): "
    + ", ".join(CSV_COLUMNS)
    + ". Exit code 4 when some reports were rejected."
)
def submit(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="JSONL (one report per line) or CSV file to submit."),
    ] = None,
    file_format: Annotated[
        FileFormat, typer.Option("--format", help="Format of --file; auto: by its extension.")
    ] = FileFormat.auto,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Skip lines an earlier run confirmed (its progress file)."),
    ] = False,
    progress_file: Annotated[
        Path | None,
        typer.Option("--progress", help="Progress file (default: <file>.progress)."),
    ] = None,
    errors_file: Annotated[
        Path | None,
        typer.Option("--errors", help="Write each rejected report's problem here (JSONL)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=1000, help="Reports per request.")
    ] = 1000,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    reference: Annotated[str | None, typer.Option(help="Single report: your reference.")] = None,
    url: Annotated[str | None, typer.Option(help="Single report: the reported URL.")] = None,
    sha256: Annotated[str | None, typer.Option(help="SHA-256 of the content (hex).")] = None,
    sha1: Annotated[str | None, typer.Option(help="SHA-1 of the content (hex).")] = None,
    md5: Annotated[str | None, typer.Option(help="MD5 of the content (hex).")] = None,
    pdq: Annotated[str | None, typer.Option(help="PDQ hash (64 hex digits).")] = None,
    pdq_quality: Annotated[int | None, typer.Option(help="PDQ quality 0..100.")] = None,
    photodna: Annotated[str | None, typer.Option(help="PhotoDNA hash (base64).")] = None,
    image: Annotated[
        Path | None,
        typer.Option(help="Single report: hash this file here (its bytes are never sent)."),
    ] = None,
    kind: Annotated[ContentKind, typer.Option(help="Content kind.")] = ContentKind.image,
    classification: Annotated[
        Classification | None,
        typer.Option(help="Single report, required: your legal assessment (no default)."),
    ] = None,
    age_group: Annotated[AgeGroup, typer.Option(help="Age group.")] = AgeGroup.unknown,
    site_type: Annotated[
        SiteType | None, typer.Option(help="Single report, required: the kind of site.")
    ] = None,
    observed_at: Annotated[
        str | None,
        typer.Option(
            help="Single report, required: when you saw it (RFC 3339), so that running the "
            "same command again is a replay (200), not a conflict."
        ),
    ] = None,
    hosting_ip: Annotated[str | None, typer.Option(help="The address you saw it on.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Submit one report from flags, or many from --file in batches of 1000.

    Bulk submission is resumable: after each batch the hub confirmed, the last line is
    appended to the progress file; after an interruption run the same command with
    --resume. A reference sent twice is a replay (200) and counts as done, never twice.
    """
    hub = _hub(ctx)
    if file is None:
        missing = [
            flag
            for flag, value in (
                ("--reference", reference),
                ("--url", url),
                ("--classification", classification),
                ("--site-type", site_type),
                ("--observed-at", observed_at),
            )
            if not value
        ]
        if missing:
            # Never a default for these: a classification is a legal claim, and a changing
            # observed_at would turn a repeated command into a conflicting report.
            raise ConfigError(
                f"give --file, or for one report {', '.join(missing)} (and a hash); "
                "there is no default for them"
            )
        assert classification is not None and site_type is not None
        hashes: list[dict[str, Any]] = [
            {"alg": alg, "value": value}
            for alg, value in (
                ("sha256", sha256),
                ("sha1", sha1),
                ("md5", md5),
                ("photodna", photodna),
            )
            if value
        ]
        if pdq:
            hashes.append({"alg": "pdq", "value": pdq, "quality": pdq_quality})
        if image is not None:
            given = {h["alg"] for h in hashes}
            hashes += [h for h in hash_file(image).wire() if h["alg"] not in given]
        # Hashes in the order of the flags (then the image's): a changed order would change
        # the body's digest, and a repeated command would conflict instead of replaying.
        body = report_body(
            reference=reference,
            url=url,
            kind=kind.value,
            hashes=hashes,
            classification=classification.value,
            age_group=age_group.value,
            site_type=site_type.value,
            observed_at=format_timestamp(_time(observed_at)),
            hosting_ip=hosting_ip,
        )
        result = hub.reports.submit(body)
        if as_json:
            _print_json(result)
            return
        verb = "submitted" if result.created else "already submitted (replay)"
        stdout.print(
            f"{verb}: {result.id} case {result.case.id} ({result.routing.reason}"
            + (f" → {result.routing.to})" if result.routing.to else ")")
        )
        return

    fmt = file_format.value
    if fmt == "auto":
        fmt = "csv" if file.suffix.lower() == ".csv" else "jsonl"
    job = BulkSubmit(
        hub,
        file,
        fmt,
        batch_size=batch_size,
        progress_file=progress_file,
        errors_file=errors_file,
        resume=resume,
    )
    if not resume and job.progress_file is not None and job.progress_file.exists():
        stderr.print(f"note: starting over; {job.progress_file} is replaced (--resume skips)")
    if job.done_line:
        stderr.print(f"resuming after line {job.done_line}")
    total = count_records(file, fmt)
    show_bar = not (no_progress or as_json) and stderr.is_terminal
    with progress_bar(show_bar) as bar:
        task = bar.add_task("submitting", total=total)
        try:
            counts = job.run(lambda _n: bar.update(task, completed=job.skipped + job.sent))
        except (errors.HubError, KeyboardInterrupt):
            stderr.print(f"stopped after line {job.done_line}; run again with --resume to continue")
            raise
    _summary(counts, job.skipped, as_json)
    if counts.rejected:
        where = f"see {errors_file}" if errors_file else "use --errors FILE for details"
        stderr.print(f"rejected: {counts.rejected} ({where})")
        raise typer.Exit(EXIT_REJECTED)


@app.command()
def reports(
    ctx: typer.Context,
    report_id: Annotated[str | None, typer.Argument(help="Show this report only.")] = None,
    limit: LimitFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Your own reports (hotline), oldest first, or one of them."""
    hub = _hub(ctx)
    if report_id:
        _show(f"report {report_id}", hub.reports.get(report_id), as_json)
        return
    items = _limited(hub.reports.list(limit=_page_size(limit)), limit)
    if as_json:
        _print_json(items)
        return
    _table(
        "reports",
        ["id", "reference", "received", "case", "routing", "to", "country"],
        [
            [
                r.id,
                r.reference,
                r.received_at,
                r.case.id,
                r.routing.reason,
                r.routing.to,
                r.hosting.country,
            ]
            for r in items
        ],
    )


@app.command()
def case(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="A case you reported (admin: any case).")],
    as_json: JsonFlag = False,
) -> None:
    """A case and its status."""
    _show(f"case {case_id}", _hub(ctx).cases.get(case_id), as_json)


@app.command()
def inbox(
    ctx: typer.Context,
    referral_id: Annotated[str | None, typer.Argument(help="Show this referral only.")] = None,
    limit: LimitFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Referrals addressed to your hotline, oldest first, or one of them."""
    hub = _hub(ctx)
    if referral_id:
        _show(f"referral {referral_id}", hub.referrals.get(referral_id), as_json)
        return
    items = _limited(hub.referrals.inbox(limit=_page_size(limit)), limit)
    if as_json:
        _print_json(items)
        return
    _table(
        "referrals",
        ["id", "case", "status", "reporters", "url", "created"],
        [[r.id, r.case, r.status, r.reporters, r.url, r.created_at] for r in items],
    )


@app.command()
def status(
    ctx: typer.Context,
    object_id: Annotated[str, typer.Argument(help="The referral (or, with --case, the case).")],
    new_status: Annotated[Status, typer.Argument(metavar="STATUS", help="The new status.")],
    at: Annotated[
        str | None, typer.Option("--at", help="When it happened (RFC 3339; default now).")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="With 'rerouted': the country it moved to.")
    ] = None,
    domestic_case: Annotated[
        bool, typer.Option("--case", help="OBJECT_ID is a domestic case you handle yourself.")
    ] = False,
    webhook_id: Annotated[
        str | None,
        typer.Option("--webhook-id", help="Message id; reuse it to repeat an update safely."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Post the status of a referral addressed to you (or of a domestic case).

    Signed with --signing-key when given (required once your hotline registered keys).
    """
    hub = _hub(ctx)
    occurred_at = _time(at)
    if domestic_case:
        if country:
            raise ConfigError("--country goes with a referral's 'rerouted' status only")
        moved: CaseOut | ReferralOut = hub.cases.set_status(
            object_id, new_status, occurred_at, webhook_id=webhook_id
        )
    else:
        moved = hub.referrals.set_status(
            object_id, new_status, occurred_at, country, webhook_id=webhook_id
        )
    if as_json:
        _print_json(moved)
        return
    stdout.print(f"{object_id} is now {moved.status.value}")


@app.command()
def events(
    ctx: typer.Context,
    after: Annotated[
        str | None, typer.Option("--after", help="Cursor from an earlier run (events after it).")
    ] = None,
    ack: Annotated[bool, typer.Option("--ack", help="Acknowledge the events shown.")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check each event's signature with /v1/keys.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, max=1000, help="Show at most this many (default: all)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Pull your events (referral.created, case.status_changed, referral.rerouted).

    Prints the cursor to resume from; --ack marks the events delivered.
    """
    hub = _hub(ctx)
    if limit:
        page = hub.events.page(after, limit=min(limit, 1000))
        items, cursor = page.items, page.next or after
    else:
        feed = hub.events.pull(after)
        items = list(feed)
        cursor = feed.cursor
    if verify and items:
        keys = hub.keys()
        for event in items:
            verify_event(event, keys)
    acknowledged = hub.events.ack([e.id for e in items]).acknowledged if ack and items else 0
    if as_json:
        _print_json({"events": _plain(items), "cursor": cursor, "acknowledged": acknowledged})
        return
    _table(
        "events",
        ["id", "type", "created", "about"],
        [[e.id, e.type, e.created_at, _event_summary(e.data)] for e in items],
    )
    if cursor:
        stderr.print(f"next: hubctl events --after {cursor}")
    if ack:
        stderr.print(f"acknowledged {acknowledged}")


def _event_summary(data: dict[str, Any]) -> str:
    keys = ("id", "case", "status", "previous_status", "country", "new_referral", "url")
    return " ".join(f"{key}={data[key]}" for key in keys if data.get(key) is not None)


# Administration ------------------------------------------------------------------------

hotlines_app = typer.Typer(
    cls=TyperGroup, help="Member hotlines (admin).", invoke_without_command=True
)
app.add_typer(hotlines_app, name="hotlines")


def _hotline_rows(items: Iterable[Any]) -> Iterator[list[Any]]:
    for h in items:
        yield [h.id, h.name, h.countries, h.active, h.webhook_url, len(h.public_keys)]


HOTLINE_COLUMNS = ["id", "name", "countries", "active", "webhook", "keys"]


@hotlines_app.callback()
def _hotlines(ctx: typer.Context, limit: LimitFlag = None, as_json: JsonFlag = False) -> None:
    """Member hotlines (admin); without a subcommand, lists them."""
    if ctx.invoked_subcommand is not None:
        return
    hotlines_list(ctx, limit, as_json)


@hotlines_app.command("list")
def hotlines_list(ctx: typer.Context, limit: LimitFlag = None, as_json: JsonFlag = False) -> None:
    """List the hotlines."""
    items = _limited(_hub(ctx).hotlines.list(limit=_page_size(limit)), limit)
    if as_json:
        _print_json(items)
        return
    _table("hotlines", HOTLINE_COLUMNS, _hotline_rows(items))


@hotlines_app.command("get")
def hotlines_get(
    ctx: typer.Context,
    hotline_id: Annotated[str, typer.Argument(help="e.g. GB-IWF")],
    as_json: JsonFlag = False,
) -> None:
    """Show one hotline."""
    _show(f"hotline {hotline_id}", _hub(ctx).hotlines.get(hotline_id), as_json)


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
    created = _hub(ctx).hotlines.create(
        hotline_id,
        name=name,
        countries=countries,
        webhook_url=webhook_url,
        public_keys=public_keys or [],
    )
    _show(f"hotline {created.id} registered", created, as_json)


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
    given = _base.NOT_GIVEN
    changed = _hub(ctx).hotlines.update(
        hotline_id,
        name=name if name is not None else given,
        countries=countries if countries else given,
        webhook_url=None if no_webhook else (webhook_url if webhook_url is not None else given),
        public_keys=public_keys if public_keys else given,
        active=active if active is not None else given,
    )
    _show(f"hotline {changed.id}", changed, as_json)


tokens_app = typer.Typer(cls=TyperGroup, help="API tokens (admin).", invoke_without_command=True)
app.add_typer(tokens_app, name="tokens")
TOKEN_COLUMNS = ["id", "principal", "subject", "created", "expires", "revoked"]


def _token_rows(items: Iterable[Any]) -> Iterator[list[Any]]:
    for t in items:
        yield [t.id, t.principal, t.subject, t.created_at, t.expires_at, t.revoked_at]


@tokens_app.callback()
def _tokens(ctx: typer.Context, limit: LimitFlag = None, as_json: JsonFlag = False) -> None:
    """API tokens (admin); without a subcommand, lists them (never their secrets)."""
    if ctx.invoked_subcommand is None:
        tokens_list(ctx, limit, as_json)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context, limit: LimitFlag = None, as_json: JsonFlag = False) -> None:
    """List the tokens (never their secrets)."""
    items = _limited(_hub(ctx).tokens.list(limit=_page_size(limit)), limit)
    if as_json:
        _print_json(items)
        return
    _table("tokens", TOKEN_COLUMNS, _token_rows(items))


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
    expiry = _time(expires_at) if expires_at else None
    created = _hub(ctx).tokens.create(principal, subject, expires_at=expiry)
    if as_json:
        _print_json(created)
        return
    print(created.token)
    stderr.print(
        f"created {created.id} ({created.principal.value} {created.subject}); store it now"
    )


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_…), not its secret.")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke a token: refused from the next request on."""
    revoked = _hub(ctx).tokens.revoke(token_id)
    if as_json:
        _print_json(revoked)
        return
    stdout.print(f"revoked {revoked.id}")


routes_app = typer.Typer(
    cls=TyperGroup,
    help="Primary hotline of countries several hotlines serve (admin).",
    invoke_without_command=True,
)
app.add_typer(routes_app, name="routes")


@routes_app.callback()
def _routes(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Routes (admin); without a subcommand, lists them."""
    if ctx.invoked_subcommand is not None:
        return
    items = list(_hub(ctx).routes.list(limit=1000))
    if as_json:
        _print_json(items)
        return
    _table("routes", ["country", "hotline"], [[r.country, r.hotline] for r in items])


@routes_app.command("set")
def routes_set(
    ctx: typer.Context,
    country: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2, e.g. NL.")],
    hotline_id: Annotated[str, typer.Argument(help="The primary hotline for it.")],
    as_json: JsonFlag = False,
) -> None:
    """Pick the primary hotline of a country."""
    route = _hub(ctx).routes.set(country, hotline_id)
    if as_json:
        _print_json(route)
        return
    stdout.print(f"{route.country} → {route.hotline}")


unassigned_app = typer.Typer(
    cls=TyperGroup, help="The unassigned queue (admin).", invoke_without_command=True
)
app.add_typer(unassigned_app, name="unassigned")


@unassigned_app.callback()
def _unassigned(ctx: typer.Context, limit: LimitFlag = None, as_json: JsonFlag = False) -> None:
    """Cases no member hotline serves; `unassigned route CASE HOTLINE` routes one."""
    if ctx.invoked_subcommand is not None:
        return
    items = _limited(_hub(ctx).cases.unassigned(limit=_page_size(limit)), limit)
    if as_json:
        _print_json(items)
        return
    _table(
        "unassigned cases",
        ["id", "reason", "country", "reporters", "url", "created"],
        [
            [c.id, c.routing_reason, c.hosting.country, c.reporters, c.url, c.created_at]
            for c in items
        ],
    )


@unassigned_app.command("route")
def unassigned_route(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="An unassigned case.")],
    hotline_id: Annotated[str, typer.Argument(help="The hotline to refer it to.")],
    as_json: JsonFlag = False,
) -> None:
    """Route an unassigned case to a hotline by hand."""
    routed = _hub(ctx).cases.route(case_id, hotline_id)
    if as_json:
        _print_json(routed)
        return
    stdout.print(f"{routed.id} referred to {hotline_id} ({routed.referral})")


dead_app = typer.Typer(
    cls=TyperGroup, help="Events that could not be pushed (admin).", invoke_without_command=True
)
app.add_typer(dead_app, name="dead")


@dead_app.callback()
def _dead(ctx: typer.Context, limit: LimitFlag = None, as_json: JsonFlag = False) -> None:
    """Dead deliveries; `dead retry EVENT_ID` pushes one again."""
    if ctx.invoked_subcommand is not None:
        return
    items = _limited(_hub(ctx).deliveries.dead(limit=_page_size(limit)), limit)
    if as_json:
        _print_json(items)
        return
    _table(
        "dead deliveries",
        ["event", "type", "recipient", "attempts", "last error", "created"],
        [[d.id, d.type, d.recipient, d.attempts, d.last_error, d.created_at] for d in items],
    )


@dead_app.command("retry")
def dead_retry(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(help="The event (evt_…) to push again.")],
    as_json: JsonFlag = False,
) -> None:
    """Put a dead event back in line for a push now."""
    delivery = _hub(ctx).deliveries.retry(event_id)
    if as_json:
        _print_json(delivery)
        return
    stdout.print(f"{delivery.id} is {delivery.state} again")


@app.command()
def stats(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Counts and times by country, hotline and status (admin)."""
    figures = _hub(ctx).stats().model_dump(mode="json")
    if as_json:
        _print_json(figures)
        return
    _print_stats(figures)


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


def _print_stats(figures: dict[str, Any]) -> None:
    """The statistics as tables: overview, by status, by hosting country, by hotline."""
    cases = figures.get("cases", {})
    referrals = figures.get("referrals", {})
    to_referral = figures.get("time_to_referral", {})
    to_removal = figures.get("time_to_removal", {})
    _table(
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
    _table(
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
    _table(
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
    _table(
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
    if others:
        stdout.print_json(data=others)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return _cell(value)


# Log, keys, webhooks -------------------------------------------------------------------


@app.command()
def keys(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The hub's public keys (no token needed): pin the verifier key for `audit`."""
    keyset = _hub(ctx, token=False).keys()
    if as_json:
        _print_json(keyset)
        return
    for key in keyset.keys:
        state = f"retired {format_timestamp(key.not_after)}" if key.not_after else "current"
        stdout.print(
            f"[bold]{key.kid}[/] ({state}, since {format_timestamp(key.created_at)})", markup=True
        )
        stdout.print(f"  signed-note verifier key: {key.note_verifier_key}")
        stdout.print(f"  webhook public key:       {key.webhook_public_key}")


def _default_state(url: str) -> Path:
    host = url.split("://", 1)[-1].split("/", 1)[0].replace(":", "_")
    return default_state_dir() / f"audit-{host}.json"


@app.command()
def audit(
    ctx: typer.Context,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="What was verified last (default ~/.local/state/hubctl/audit-<host>.json).",
        ),
    ] = None,
    pin: Annotated[
        str | None,
        typer.Option(
            "--pin",
            help="The hub's signed-note verifier key, <origin>+<key id>+<key>, got out of band. "
            "Without it, the state file's key; on a first audit, the hub's (trust on first use).",
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Also fetch every new entry and recompute the root."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Verify the hub's signed log: checkpoint signature, consistency with the last
    verified checkpoint (no rollback, no fork), and with --full every entry.

    The state file is written only after a successful audit. Exit code 3 on any mismatch.
    """
    hub = _hub(ctx)
    state_file = state or _default_state(str(hub.base_url))
    result = hub.log.verify(state_file, pin=pin, full=full)
    if as_json:
        _print_json({**result.as_dict(), "state": str(state_file)})
        return
    _print_audit(result, state_file)


def _print_audit(result: AuditResult, state_file: Path) -> None:
    checkpoint = result.checkpoint
    ok = "[green]✓[/]"
    stdout.print(
        f"{ok} checkpoint of {escape(checkpoint.origin)}: {checkpoint.size} entries, "
        f"root {result.root_hash}",
        markup=True,
    )
    stdout.print(f"{ok} signed by {escape(result.verifier_key)}", markup=True)
    if result.trust_on_first_use:
        stdout.print(
            "[yellow]![/] first audit: this key was trusted on first use; compare it with the "
            "key the hub's operator published, or pin it with --pin",
            markup=True,
        )
    if result.key_changed:
        stdout.print("[yellow]![/] the pinned key replaces the one in the state file", markup=True)
    if result.previous_size is not None:
        stdout.print(
            f"{ok} consistent with the tree of {result.previous_size} entries verified before",
            markup=True,
        )
    if result.full:
        stdout.print(
            f"{ok} {result.entries_checked} new entries fetched; all {result.entries_verified} "
            "entries hash to the signed root",
            markup=True,
        )
    stdout.print(f"state saved to {state_file}")


@app.command()
def listen(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")
    ] = 8080,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Append events here (JSONL); default: print them on stdout."),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option("--key", help="Hub public key (whpk_…); default: fetched from /v1/keys."),
    ] = None,
    max_age: Annotated[
        int,
        typer.Option(
            "--max-age",
            min=0,
            help="Refuse pushes signed longer ago than this many seconds (default 300: the "
            "hub signs each attempt when it sends it); 0 accepts any age.",
        ),
    ] = 300,
) -> None:
    """Reference webhook receiver: verifies each push (v1a signature; refuses stale ones,
    see --max-age), drops duplicates (seen ids kept in <out>.seen) and keeps new events.

    Put it behind an HTTPS reverse proxy: the hub pushes to https URLs only.
    """
    hub_keys: Any = key or _hub(ctx, token=False).keys()

    def show(event: dict[str, Any]) -> None:
        if out is None:
            print(json.dumps(event, separators=(",", ":")), flush=True)
        stderr.print(f"{event.get('id')} {event.get('type')}")

    receiver = Receiver(hub_keys, show, out=out, tolerance=max_age or None)
    server = receiver.server(host, port)
    stderr.print(f"listening on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


app.command(name="hash")(hash_files)


def progress_bar(show: bool) -> Progress:
    """The one progress bar of hubctl's long commands, on stderr (hidden when not shown)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        disable=not show,
    )


# Registered last: the lists commands reuse the helpers above.
from clients import cli_lists  # noqa: E402

app.add_typer(cli_lists.register(sys.modules[__name__]), name="lists")


def main(argv: list[str] | None = None) -> int:
    """The `hubctl` entry point; returns the exit code."""
    try:
        app(args=argv, prog_name="hubctl", standalone_mode=True)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
