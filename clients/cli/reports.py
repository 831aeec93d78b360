"""The hotline's commands: `submit` reports (one from flags, or a file in batches),
read `reports`, a `case`, the `inbox` of referrals, post a `status`, pull `events`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import RenderableType
from rich.table import Table

from clients import errors
from clients._bulk import CSV_COLUMNS, BulkSubmit, Counts, count_records
from clients._config import ConfigError
from clients._report_body import report_body
from clients.cli.app import EXIT_REJECTED, JsonFlag, LimitFlag, app, connect, listed, moment
from clients.cli.output import Columns, fields, progress_bar, show, stderr, stdout
from clients.hashing import hash_file
from clients.webhooks import verify_event
from schemas.common import format_timestamp
from schemas.referrals import CaseOut, ReferralOut, Status
from schemas.reports import AgeGroup, Classification, ContentKind, SiteType


class FileFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"


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
    hub = connect(ctx)
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
            observed_at=format_timestamp(moment(observed_at)),
            hosting_ip=hosting_ip,
        )
        result = hub.reports.submit(body)
        verb = "submitted" if result.created else "already submitted (replay)"
        show(
            result,
            as_json,
            f"{verb}: {result.id} case {result.case.id} ({result.routing.reason}"
            + (f" → {result.routing.to})" if result.routing.to else ")"),
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
        stderr().print(f"note: starting over; {job.progress_file} is replaced (--resume skips)")
    if job.done_line:
        stderr().print(f"resuming after line {job.done_line}")
    total = count_records(file, fmt)
    with progress_bar(no_progress or as_json) as bar:
        task = bar.add_task("submitting", total=total)
        try:
            counts = job.run(lambda _n: bar.update(task, completed=job.skipped + job.sent))
        except (errors.HubError, KeyboardInterrupt):
            stderr().print(
                f"stopped after line {job.done_line}; run again with --resume to continue"
            )
            raise
    show(
        {**counts.as_dict(), "total": counts.total, "skipped": job.skipped},
        as_json,
        _summary(counts, job.skipped),
    )
    if counts.rejected:
        where = f"see {errors_file}" if errors_file else "use --errors FILE for details"
        stderr().print(f"rejected: {counts.rejected} ({where})")
        raise typer.Exit(EXIT_REJECTED)


def _summary(counts: Counts, skipped: int) -> list[RenderableType]:
    """The outcomes of a bulk submission as one row, then what was replayed or skipped."""
    outcomes = Table(title="Submitted", title_justify="left")
    for name in ("routed", "joined", "domestic", "unassigned", "rejected", "total"):
        outcomes.add_column(name, justify="right")
    outcomes.add_row(*[str(v) for v in (*list(counts.as_dict().values())[:5], counts.total)])
    summary: list[RenderableType] = [outcomes]
    if counts.replayed:
        summary.append(f"{counts.replayed} were already on the hub (replays of their reference)")
    if skipped:
        summary.append(f"{skipped} lines skipped as confirmed by an earlier run")
    return summary


REPORTS = Columns(
    "reports",
    ["id", "reference", "received", "case", "routing", "to", "country"],
    lambda r: [
        r.id,
        r.reference,
        r.received_at,
        r.case.id,
        r.routing.reason,
        r.routing.to,
        r.hosting.country,
    ],
)
REFERRALS = Columns(
    "referrals",
    ["id", "case", "status", "reporters", "url", "created"],
    lambda r: [r.id, r.case, r.status, r.reporters, r.url, r.created_at],
)


def _one_or_all(
    noun: str,
    item_id: str | None,
    get: Callable[[str], BaseModel],
    pages: Callable[..., Iterator[Any]],
    columns: Columns,
    limit: int | None,
    as_json: bool,
) -> None:
    """The item of that id as a table of its fields; without an id, the list of them."""
    if item_id:
        found = get(item_id)
        show(found, as_json, fields(f"{noun} {item_id}", found))
    else:
        items = listed(pages, limit)
        show(items, as_json, columns.of(items))


@app.command()
def reports(
    ctx: typer.Context,
    report_id: Annotated[str | None, typer.Argument(help="Show this report only.")] = None,
    limit: LimitFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Your own reports (hotline), oldest first, or one of them."""
    hub = connect(ctx)
    _one_or_all("report", report_id, hub.reports.get, hub.reports.list, REPORTS, limit, as_json)


@app.command()
def case(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="A case you reported (admin: any case).")],
    as_json: JsonFlag = False,
) -> None:
    """A case and its status."""
    found = connect(ctx).cases.get(case_id)
    show(found, as_json, fields(f"case {case_id}", found))


@app.command()
def inbox(
    ctx: typer.Context,
    referral_id: Annotated[str | None, typer.Argument(help="Show this referral only.")] = None,
    limit: LimitFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Referrals addressed to your hotline, oldest first, or one of them."""
    hub = connect(ctx)
    referrals = hub.referrals
    _one_or_all("referral", referral_id, referrals.get, referrals.inbox, REFERRALS, limit, as_json)


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
    hub = connect(ctx)
    occurred_at = moment(at)
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
    show(moved, as_json, f"{object_id} is now {moved.status.value}")


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
    hub = connect(ctx)
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

    def human() -> None:
        stdout().print(EVENTS.of(items))
        if cursor:
            stderr().print(f"next: hubctl events --after {cursor}")
        if ack:
            stderr().print(f"acknowledged {acknowledged}")

    show({"events": items, "cursor": cursor, "acknowledged": acknowledged}, as_json, human)


EVENTS = Columns(
    "events",
    ["id", "type", "created", "about"],
    lambda e: [e.id, e.type, e.created_at, _event_summary(e.data)],
)


def _event_summary(data: dict[str, Any]) -> str:
    keys = ("id", "case", "status", "previous_status", "country", "new_referral", "url")
    return " ".join(f"{key}={data[key]}" for key in keys if data.get(key) is not None)
