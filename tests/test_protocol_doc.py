"""docs/protocol.md cannot fall behind: every route of the OpenAPI document is named in
it, and no file of the repository points outside it at the old brief."""

import re
import subprocess
from pathlib import Path

from hub.app import create_app
from hub.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "protocol.md"
_NAMED = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/[^\s`?]*)")


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_route_of_the_openapi_document_is_in_protocol_md(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}", signing_key=tmp_path / "key.pem"
    )
    document = create_app(settings).openapi()
    named = {(m, _shape(p)) for m, p in _NAMED.findall(DOC.read_text(encoding="utf-8"))}
    routes = {
        (method.upper(), _shape(path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert routes - named == set()


def test_no_file_points_at_the_brief_outside_the_repository() -> None:
    outside = "../" + "shared/"
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    pointing = [
        name
        for name in files
        if (ROOT / name).is_file()
        and outside in (ROOT / name).read_text(encoding="utf-8", errors="ignore")
    ]
    assert pointing == []
