"""The examples of docs/sdk.md and docs/cli.md run against a live hub, in order, with
the placeholder address replaced: documentation that drifts from the code fails here."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clients._bulk import CSV_COLUMNS
from clients.cli import EXIT_CODES, app
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread

DOCS = Path(__file__).resolve().parents[2] / "docs"
PLACEHOLDER = "https://hub.example.org"
BLOCK = re.compile(r"(?:<!-- (?P<marker>[^>]*) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)


def blocks(name: str) -> list[tuple[str, str, str]]:
    """(marker, language, body) of each fenced block of a document."""
    text = (DOCS / name).read_text()
    return [(m["marker"] or "", m["lang"], m["body"]) for m in BLOCK.finditer(text)]


def test_sdk_examples_run(
    api: Hub, hub: ServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.register("GB-IWF", ["GB"])
    api.register("NL-MELDPUNT", ["NL"])
    monkeypatch.setenv("IWF_TOKEN", api.token("hotline", "GB-IWF"))
    monkeypatch.setenv("MELDPUNT_TOKEN", api.token("hotline", "NL-MELDPUNT"))
    monkeypatch.setenv("HUB_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("HUB_AUDITOR_TOKEN", api.token("auditor", "court-of-audit"))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "docs_sdk"}
    ran = 0
    for marker, lang, body in blocks("sdk.md"):
        if lang != "python" or marker == "norun":
            continue
        code = compile(body.replace(PLACEHOLDER, hub.url), f"docs/sdk.md block {ran + 1}", "exec")
        exec(code, namespace)
        ran += 1
    assert ran >= 15
    # What the examples did is on the hub.
    assert namespace["later"].previous_size == namespace["result"].size
    assert namespace["on_push"]({}, b"{}") == 401


def jq(document: Any, path: str) -> str:
    """The tiny part of jq the docs use: `.[N]`, `.key`, chained."""
    for index, key in re.findall(r"\.?\[(-?\d+)\]|\.(\w+)", path):
        document = document[int(index)] if index else document[key]
    return str(document)


class Shell:
    """Runs the `$ export …` and `$ hubctl …` lines of a console block."""

    def __init__(self, env: dict[str, str], hub_url: str) -> None:
        self.env = env
        self.hub_url = hub_url

    def expand(self, text: str) -> str:
        text = text.replace(PLACEHOLDER, self.hub_url)
        return re.sub(r"\$(\w+)", lambda m: self.env[m[1]], text)

    def hubctl(self, command: str, expected: int = 0) -> str:
        args = shlex.split(self.expand(command))
        assert args[0] == "hubctl", command
        result = CliRunner().invoke(app, args[1:], env=self.env, catch_exceptions=False)
        assert result.exit_code == expected, f"{command}\n{result.output}"
        return result.stdout

    def run(self, line: str) -> None:
        expected = 0
        if "# exit" in line:
            line, _, comment = line.partition("# exit")
            expected = int(comment.split(":")[0])
        line = line.split("  #", 1)[0].strip()
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            found = re.fullmatch(r"\$\((.*?)(?: \| jq -r '(.*)')?\)", value)
            if found:
                output = self.hubctl(found[1])
                value = jq(json.loads(output), found[2]) if found[2] else output.strip()
            else:
                value = self.expand(value)
            self.env[name] = value
        else:
            self.hubctl(line, expected)


def test_cli_examples_run(
    hub: ServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shell = Shell(
        {
            "HUB_ADMIN_TOKEN": ADMIN_TOKEN,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "COLUMNS": "160",
        },
        hub.url,
    )
    ran = 0
    for marker, lang, body in blocks("cli.md"):
        if marker.startswith("file: "):
            (tmp_path / marker[len("file: ") :]).write_text(body)
        if lang != "console" or marker == "norun":
            continue
        for line in body.splitlines():
            if line.startswith("$ "):
                shell.run(line[2:])
                ran += 1
    assert ran >= 30
    assert (tmp_path / "state" / "hubctl").is_dir()
    errors = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text().splitlines()]
    assert [e["reference"] for e in errors] == ["IWF-2026-000128"]


def test_cli_docs_list_every_csv_column_and_exit_code() -> None:
    text = (DOCS / "cli.md").read_text()
    for column in CSV_COLUMNS:
        assert f"`{column}`" in text
    for code in EXIT_CODES:
        assert f"| {code} |" in text
