"""`hubctl listen`: the reference webhook receiver, verifying each push the hub sends
and keeping each new event once (clients.webhooks.Receiver)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from clients.cli.app import app, connect
from clients.cli.output import stderr
from clients.webhooks import Receiver


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
    hub_keys: Any = key or connect(ctx, token=False).keys()

    def show(event: dict[str, Any]) -> None:
        if out is None:
            print(json.dumps(event, separators=(",", ":")), flush=True)
        stderr().print(f"{event.get('id')} {event.get('type')}")

    receiver = Receiver(hub_keys, show, out=out, tolerance=max_age or None)
    server = receiver.server(host, port)
    stderr().print(f"listening on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
