"""The auditor's commands: the hub's public `keys`, and `audit` of its signed log
(checkpoint signature, consistency with the last audit, with --full every entry)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import RenderableType
from rich.markup import escape

from clients._config import default_state_dir
from clients.audit import AuditResult
from clients.cli.app import JsonFlag, app, connect
from clients.cli.output import show
from schemas.common import format_timestamp


@app.command()
def keys(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The hub's public keys (no token needed): pin the verifier key for `audit`."""
    keyset = connect(ctx, token=False).keys()
    lines: list[RenderableType] = []
    for key in keyset.keys:
        state = f"retired {format_timestamp(key.not_after)}" if key.not_after else "current"
        lines += [
            f"[bold]{key.kid}[/] ({state}, since {format_timestamp(key.created_at)})",
            f"  signed-note verifier key: {key.note_verifier_key}",
            f"  webhook public key:       {key.webhook_public_key}",
        ]
    show(keyset, as_json, lines)


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
    hub = connect(ctx)
    state_file = state or _default_state(str(hub.base_url))
    result = hub.log.verify(state_file, pin=pin, full=full)
    show({**result.as_dict(), "state": str(state_file)}, as_json, _verified(result, state_file))


def _verified(result: AuditResult, state_file: Path) -> list[RenderableType]:
    """What an audit checked, a line each (rich markup), and where its state went."""
    checkpoint = result.checkpoint
    ok = "[green]✓[/]"
    lines: list[RenderableType] = [
        f"{ok} checkpoint of {escape(checkpoint.origin)}: {checkpoint.size} entries, "
        f"root {result.root_hash}",
        f"{ok} signed by {escape(result.verifier_key)}",
    ]
    if result.trust_on_first_use:
        lines.append(
            "[yellow]![/] first audit: this key was trusted on first use; compare it with the "
            "key the hub's operator published, or pin it with --pin"
        )
    if result.key_changed:
        lines.append("[yellow]![/] the pinned key replaces the one in the state file")
    if result.previous_size is not None:
        lines.append(
            f"{ok} consistent with the tree of {result.previous_size} entries verified before"
        )
    if result.full:
        lines.append(
            f"{ok} {result.entries_checked} new entries fetched; all {result.entries_verified} "
            "entries hash to the signed root"
        )
    lines.append(f"state saved to {state_file}")
    return lines
