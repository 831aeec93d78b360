"""`hubctl hash FILE...`: prints each file's SHA-256, SHA-1, MD5 and PDQ with its quality,
computed locally (clients/hashing.py); nothing is sent anywhere."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clients.hashing import hash_file


def hash_files(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help="Files to hash."),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON lines (one per file) for scripts.")
    ] = False,
) -> None:
    """Hash files locally: SHA-256, SHA-1, MD5, and PDQ with its quality for images.

    Nothing leaves the machine. PDQ needs the hashing extra
    (pip install 'hotline-exchange-hub[hashing]'); a file that is not an image has no PDQ.
    """
    console = Console(highlight=False)
    results = [(path, hash_file(path)) for path in files]
    if as_json:
        for path, hashes in results:
            print(json.dumps({"file": str(path), "hashes": hashes.wire()}))
        return
    table = Table("file", "sha256", "sha1", "md5", "pdq", "quality", title="hashes")
    for path, hashes in results:
        pdq = hashes.pdq
        table.add_row(
            escape(str(path)),
            hashes.sha256,
            hashes.sha1,
            hashes.md5,
            pdq.value if pdq else "-",
            str(pdq.quality) if pdq else "-",
        )
    console.print(table)
