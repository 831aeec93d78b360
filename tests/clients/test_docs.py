"""The examples of README.md, docs/sdk.md, docs/cli.md, docs/log.md, docs/status.md,
docs/stats.md and docs/delivery.md run, in order, against a hub started with the defaults
of `make run` (embedded GeoIP, no hosts map, DNS never needed), with the placeholder
address replaced: documentation that drifts from the code fails here."""

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clients._bulk import CSV_COLUMNS
from clients.cli import EXIT_CODES, app
from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PLACEHOLDER = "https://hub.example.org"
BLOCK = re.compile(r"(?:<!-- (?P<marker>[^>]*) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)


def blocks(name: str) -> list[tuple[str, str, str]]:
    """(marker, language, body) of each fenced block of a document."""
    text = (ROOT / name if name == "README.md" else DOCS / name).read_text()
    return [(m["marker"] or "", m["lang"], m["body"]) for m in BLOCK.finditer(text)]


def run_shell(script: str, hub: ServerThread, settings: Settings) -> str:
    """A shell block in bash, as a newcomer pastes it into a second terminal beside the hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        PORT=str(hub.port),
        HUB_DATABASE_URL=settings.database_url,
        HUB_SIGNING_KEY=str(settings.signing_key_path),
        HUB_LOG_LEVEL="WARNING",
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,  # where `.venv/bin/python` is, as in the README
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_readme_steps(hub: ServerThread, settings: Settings) -> str:
    """The README's curl block."""
    [script] = [body for _, lang, body in blocks("README.md") if "curl" in body]
    return run_shell(script, hub, settings)


def hotline_tokens(hub: ServerThread, monkeypatch: pytest.MonkeyPatch) -> Hub:
    """The tokens the docs' examples read from the environment, for the README's hotlines."""
    api = Hub(hub.url)
    monkeypatch.setenv("IWF_TOKEN", api.token("hotline", "GB-IWF"))
    monkeypatch.setenv("MELDPUNT_TOKEN", api.token("hotline", "NL-MELDPUNT"))
    monkeypatch.setenv("HUB_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("HUB_AUDITOR_TOKEN", api.token("auditor", "court-of-audit"))
    return api


def run_python_blocks(name: str, hub: ServerThread) -> tuple[dict[str, Any], int]:
    """Every python block of a document (but `norun` ones) in one namespace, in order."""
    namespace: dict[str, Any] = {"__name__": f"docs_{name.removesuffix('.md')}"}
    ran = 0
    for marker, lang, body in blocks(name):
        if lang != "python" or marker == "norun":
            continue
        code = compile(body.replace(PLACEHOLDER, hub.url), f"docs/{name} block {ran + 1}", "exec")
        exec(code, namespace)
        ran += 1
    return namespace, ran


def json_documents(text: str) -> list[Any]:
    """The JSON answers curl printed one after another (curl -s adds no newline)."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while (position := text.find("{", position)) != -1:
        document, position = decoder.raw_decode(text, position)
        found.append(document)
    return found


def test_readme_steps_then_sdk_examples_run_on_a_default_hub(
    default_hub: ServerThread,
    default_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed = run_readme_steps(default_hub, default_settings)
    answers = json_documents(printed)
    routed = next(a for a in answers if a.get("reference") == "IWF-2026-000001")
    assert routed["routing"]["to"] == "NL-MELDPUNT"
    assert routed["hosting"]["country"] == "NL"
    assert any(a.get("status") == "accepted" for a in answers), printed  # the referral
    reports = answers[-1]["items"]
    assert reports[0]["case"]["status"] == "accepted"  # what GB-IWF sees of its case

    api = hotline_tokens(default_hub, monkeypatch)
    monkeypatch.chdir(tmp_path)
    namespace, ran = run_python_blocks("sdk.md", default_hub)
    assert ran >= 15
    # What the examples did is on the hub.
    assert namespace["later"].previous_size == namespace["result"].size
    assert namespace["on_push"]({}, b"{}") == 401
    assert namespace["submitted"].hosting.country == "NL"
    assert namespace["domestic"].routing.reason == "domestic"
    api.close()


def test_log_status_stats_and_delivery_examples_run_on_a_default_hub(
    default_hub: ServerThread,
    default_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_readme_steps(default_hub, default_settings)
    api = hotline_tokens(default_hub, monkeypatch)
    monkeypatch.chdir(tmp_path)

    log, ran = run_python_blocks("log.md", default_hub)
    assert ran == 2
    assert [item["event"]["type"] for item in log["found"]] == ["report.received", "case.opened"]
    [rotation] = [body for _, lang, body in blocks("log.md") if lang == "sh"]
    new_key = run_shell(rotation, default_hub, default_settings).split()[-1]
    keys = api.admin.get("/v1/keys").json()["keys"]
    assert [k["note_verifier_key"] for k in keys] == [new_key, log["VKEY"]]

    status, ran = run_python_blocks("status.md", default_hub)
    assert ran == 2
    assert status["referral"]["hosting"]["country"] == "NL"
    assert status["case"]["status"] == "removed"

    stats, ran = run_python_blocks("stats.md", default_hub)
    [documented] = [json.loads(body) for _, lang, body in blocks("stats.md") if lang == "json"]
    assert ran == 1 and set(documented) <= set(stats["stats"].model_dump())
    assert stats["stats"].cases.by_status["removed"] == 1

    delivery, ran = run_python_blocks("delivery.md", default_hub)
    assert ran == 2 and len(delivery["KEYS"]) == 2  # signed with the key rotated in log.md
    assert delivery["item"]["id"].startswith("evt_")  # the feed had events, each verified
    api.close()


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


def test_cli_examples_run_on_an_empty_default_hub(
    default_hub: ServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = default_hub
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
    assert [e["reference"] for e in errors] == ["IWF-2026-100128"]


def test_cli_docs_list_every_csv_column_and_exit_code() -> None:
    text = (DOCS / "cli.md").read_text()
    for column in CSV_COLUMNS:
        assert f"`{column}`" in text
    for code in EXIT_CODES:
        assert f"| {code} |" in text
