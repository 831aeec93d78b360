"""`hubctl hash FILE...`: prints each file's SHA-256, SHA-1, MD5 and PDQ with its quality,
computed locally (clients/hashing.py); nothing is sent anywhere."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clients.cli.app import app, json_errors
from clients.cli.output import show
from clients.hashing import hash_file


@app.command(name="hash")
def hash_files(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help="Files to hash."),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            callback=json_errors,
            help="Print JSON lines (one per file) for scripts (errors as JSON too, on stderr).",
        ),
    ] = False,
) -> None:
    """Hash files locally: SHA-256, SHA-1, MD5, and PDQ with its quality for images.

    Nothing leaves the machine. PDQ needs the hashing extra
    (pip install 'hotline-exchange-hub[hashing]'); a file that is not an image has no PDQ.
    """
    results = [(path, hash_file(path)) for path in files]
    hashes = Table("file", "sha256", "sha1", "md5", "pdq", "quality", title="hashes")
    for path, found in results:
        pdq = found.pdq
        hashes.add_row(
            escape(str(path)),
            found.sha256,
            found.sha1,
            found.md5,
            pdq.value if pdq else "-",
            str(pdq.quality) if pdq else "-",
        )
    lines = [{"file": str(path), "hashes": found.wire()} for path, found in results]
    show(lines, as_json, hashes, json_lines=True)
