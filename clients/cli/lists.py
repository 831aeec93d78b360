"""`hubctl lists ...`: hash lists of known content (admin): create, import, retract, show."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from clients._bulk import count_records
from clients._config import ConfigError
from clients._lists_import import PART_SIZE, ListImport
from clients._ncmec import convert
from clients.cli.app import JsonFlag, LimitFlag, app, connect, listed
from clients.cli.output import Columns, fields, progress_bar, show, stderr
from schemas.lists import CSV_COLUMNS, ListSource


class ListFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"
    ncmec_xml = "ncmec-xml"


lists_app = typer.Typer(
    cls=TyperGroup, help="Hash lists of known content (admin).", no_args_is_help=True
)
app.add_typer(lists_app, name="lists")
ListFlag = Annotated[str, typer.Option("--list", help="The list's id, e.g. iwf-hashes.")]
RETRACT_BATCH = 10_000
LISTS = Columns(
    "lists",
    ["id", "name", "source", "entries", "versions"],
    lambda i: [i.id, i.name, i.source, i.entries, len(i.versions)],
)
VERSION_COLUMNS = ["version", "state", "entries", "parts", "last_line", "published_at"]
VERSIONS = Columns("versions", VERSION_COLUMNS, lambda v: [getattr(v, c) for c in VERSION_COLUMNS])


@lists_app.command("create")
def lists_create(
    ctx: typer.Context,
    list_id: Annotated[str, typer.Argument(help="Lower-case id, e.g. iwf-hashes.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    source: Annotated[ListSource, typer.Option("--source", help="Who keeps the list.")],
    as_json: JsonFlag = False,
) -> None:
    """Create an empty list."""
    created = connect(ctx).lists.create(list_id, name=name, source=source.value)
    show(created, as_json, fields(f"list {created.id} created", created))


@lists_app.command(
    "import",
    epilog="NDJSON: one {alg, value, quality, category} object per line. CSV: header "
    + ",".join(CSV_COLUMNS)
    + ". See docs/lists.md.",
)
def lists_import(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="NDJSON (.ndjson/.jsonl), CSV, or NCMEC v2 XML (.xml) file.")
    ],
    list_id: ListFlag,
    file_format: Annotated[
        ListFormat, typer.Option("--format", help="Format of FILE; auto: by its extension.")
    ] = ListFormat.auto,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the version an earlier run left open.")
    ] = False,
    progress_file: Annotated[
        Path | None, typer.Option("--progress", help="Progress file (default: <file>.progress).")
    ] = None,
    part_size: Annotated[
        int, typer.Option("--part-size", min=1, help="Entries per request.")
    ] = PART_SIZE,
    no_publish: Annotated[
        bool, typer.Option("--no-publish", help="Leave the version unpublished (invisible).")
    ] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import FILE as a new version of a list and publish it.

    Each part of --part-size entries is taken whole or not at all; a bad line stops the
    import with its line number and field. After an interruption or a fix, run the same
    command with --resume: it continues the same version after the last part taken.
    """
    if not file.is_file():
        raise ConfigError(f"{file}: no such file")
    fmt = file_format.value
    if fmt == "auto":
        suffix = file.suffix.lower()
        fmt = {".csv": "csv", ".xml": "ncmec-xml"}.get(suffix, "jsonl")
    retracted: list[dict[str, str]] = []
    if fmt == "ncmec-xml":
        converted = file.with_name(file.name + ".ndjson")
        written, retracted = convert(file, converted)
        stderr().print(f"NCMEC XML: {written} entries, {len(retracted)} deleted values")
        file, fmt = converted, "jsonl"
    hub = connect(ctx)
    job = ListImport(hub, list_id, file, fmt, part_size, progress_file=progress_file, resume=resume)
    if job.version is not None:
        stderr().print(f"resuming version {job.version} after line {job.done_line}")
    total = count_records(file, fmt)
    with progress_bar(no_progress or as_json) as bar:
        done = max(0, job.done_line - (fmt == "csv"))
        task = bar.add_task("importing", total=total, completed=done)
        try:
            version = job.run(lambda n: bar.advance(task, n), publish=not no_publish)
        except KeyboardInterrupt:
            stderr().print(f"stopped after line {job.done_line}; run again with --resume")
            raise
        except Exception:
            if job.version is not None:
                stderr().print(
                    f"version {job.version} stopped after line {job.done_line}; "
                    "fix the file and run again with --resume"
                )
            raise
    if retracted and version.state.value == "published":
        for start in range(0, len(retracted), RETRACT_BATCH):
            hub.lists.retract(list_id, retracted[start : start + RETRACT_BATCH])
    show(
        version,
        as_json,
        f"list {list_id} version {version.version} {version.state.value}: "
        f"{version.entries} entries ({job.sent} sent now)",
    )


@lists_app.command("retract")
def lists_retract(
    ctx: typer.Context,
    list_id: ListFlag,
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="Retract this whole version.")
    ] = None,
    values: Annotated[
        list[str] | None,
        typer.Option("--value", help="alg:value to retract from every version (repeatable)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Retract a whole version, or single values. Reports keep what they matched."""
    hub = connect(ctx)
    if (version is None) == (not values):
        raise ConfigError("give either --version N or one or more --value alg:value")
    if version is not None:
        retracted = hub.lists.retract_version(list_id, version)
        show(retracted, as_json, fields(f"list {list_id} version {version}", retracted))
        return
    entries = []
    for item in values or []:
        alg, sep, value = item.partition(":")
        if not sep:
            raise ConfigError(f"--value {item!r}: write alg:value, e.g. md5:0cc175b9...")
        entries.append({"alg": alg, "value": value})
    answer = hub.lists.retract(list_id, entries)
    show(answer, as_json, f"retracted {answer.retracted} entries from {answer.list}")


@lists_app.command("show")
def lists_show(
    ctx: typer.Context,
    list_id: Annotated[str | None, typer.Argument(help="A list id; none: every list.")] = None,
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="Show this version's progress.")
    ] = None,
    limit: LimitFlag = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the lists, one list with its versions, or one version's import progress."""
    hub = connect(ctx)
    if list_id is None:
        items = listed(hub.lists.list, limit)
        show(items, as_json, LISTS.of(items))
        return
    if version is not None:
        progress = hub.lists.version(list_id, version)
        show(progress, as_json, fields(f"list {list_id} version {version}", progress))
        return
    found = hub.lists.get(list_id)
    summary = f"{found.id}: {found.name} ({found.source}), {found.entries} entries visible"
    show(found, as_json, [summary, VERSIONS.of(found.versions)])
