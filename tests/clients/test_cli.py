"""`hubctl` end to end against a live hub through typer's CliRunner: configuration,
every command with tables and --json, exit codes, and audits of honest and lying hubs."""

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from clients.cli import app
from tests.clients.tlog import FakeLog, Signer
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread, report

Run = Callable[..., Result]
ASSESSED = ("--classification", "baseline", "--site-type", "image_host")


@pytest.fixture
def run(hub: ServerThread, tmp_path: Path) -> Run:
    """`run("reports", token=...)`: hubctl against the live hub; admin token by default."""

    def invoke(
        *args: str, token: str | None = ADMIN_TOKEN, env: dict[str, str] | None = None
    ) -> Result:
        environment = {
            "HUB_URL": hub.url,
            "HUB_TOKEN": token or "",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "HUBCTL_SIGNING_KEY": "",
            "COLUMNS": "200",
            **(env or {}),
        }
        return CliRunner().invoke(app, list(args), env=environment, catch_exceptions=False)

    return invoke


def out(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_help_documents_every_command_and_the_exit_codes(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("submit", "reports", "inbox", "status", "events", "hotlines", "tokens",
                    "routes", "unassigned", "dead", "stats", "keys", "audit", "listen"):  # fmt: skip
        assert command in result.stdout
        assert run(*command.split(), "--help").exit_code == 0
    assert "Exit codes" in result.stdout and "4 submit finished" in result.stdout
    assert "reference, url, kind" in run("submit", "--help").stdout


def test_configuration_from_a_file_and_profiles(
    run: Run, hub: ServerThread, tmp_path: Path
) -> None:
    config = tmp_path / "hubctl.toml"
    config.write_text(
        f'hub = "{hub.url}"\ntoken = "wrong"\n[profiles.admin]\ntoken = "{ADMIN_TOKEN}"\n'
    )
    no_env = {"HUB_URL": "", "HUB_TOKEN": ""}
    assert run("--config", str(config), "hotlines", token=None, env=no_env).exit_code == 1
    result = run(
        "--config", str(config), "--profile", "admin", "hotlines", "--json", token=None, env=no_env
    )
    assert out(result) == []
    default = tmp_path / "config" / "hubctl" / "config.toml"
    default.parent.mkdir(parents=True)
    default.write_text(f'hub = "{hub.url}"\ntoken = "{ADMIN_TOKEN}"\n')
    default.chmod(0o600)
    assert run("hotlines", "--json", token=None, env=no_env).exit_code == 0
    # Flags win over the environment and the file.
    assert run("--token", "wrong", "hotlines").exit_code == 1
    default.write_text('hub = "x"\ntypo = 1\n')
    bad = run("hotlines", token=None, env=no_env)
    assert bad.exit_code == 2 and "unknown settings ['typo']" in bad.stderr
    missing = run(
        "hotlines", token=None, env={"HUB_URL": hub.url, "XDG_CONFIG_HOME": str(tmp_path / "none")}
    )
    assert missing.exit_code == 2 and "no token" in missing.stderr


def test_submit_refuses_to_guess_a_classification_site_type_or_time(run: Run, api: Hub) -> None:
    api.register("GB-IWF", ["GB"])
    iwf = api.token("hotline", "GB-IWF")
    one = ("submit", "--reference", "IWF-9", "--url", "https://files.example.net/9.jpg",
           "--sha256", "ab" * 32)  # fmt: skip
    refused = run(*one, token=iwf)
    assert refused.exit_code == 2
    for flag in ("--classification", "--site-type", "--observed-at"):
        assert flag in refused.stderr
    assert out(run("reports", "--json", token=iwf)) == []  # nothing was sent
    complete = (*one, *ASSESSED, "--observed-at", "2026-11-24T09:30:00Z", "--json")
    assert out(run(*complete, token=iwf))["status"] == 201
    assert out(run(*complete, token=iwf))["status"] == 200  # the same command again: a replay


def test_config_profile_from_the_environment_and_a_warning_for_a_readable_token(
    run: Run, hub: ServerThread, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "hubctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'hub = "{hub.url}"\n[profiles.admin]\ntoken = "{ADMIN_TOKEN}"\n')
    no_env = {"HUB_URL": "", "HUB_TOKEN": ""}
    config.chmod(0o644)
    shared = run("hotlines", "--json", token=None, env={**no_env, "HUBCTL_PROFILE": "admin"})
    assert out(shared) == []
    assert f"{config} holds a token and others can read it" in shared.stderr
    config.chmod(0o600)
    private = run("hotlines", token=None, env={**no_env, "HUBCTL_PROFILE": "admin"})
    assert private.exit_code == 0 and "warning" not in private.stderr


def test_errors_are_clear_and_json_under_json(run: Run, api: Hub, tmp_path: Path) -> None:
    nothing = {"HUB_URL": "", "HUB_TOKEN": "", "XDG_CONFIG_HOME": str(tmp_path / "none")}
    neither = run("hotlines", token=None, env=nothing)
    assert neither.exit_code == 2 and "no hub address and no token" in neither.stderr
    api.register("GB-IWF", ["GB"])
    iwf = api.token("hotline", "GB-IWF")
    forbidden = run("hotlines", token=iwf)
    assert forbidden.exit_code == 1 and "needs an admin token" in forbidden.stderr
    as_json = run("hotlines", "--json", token=iwf)
    assert as_json.exit_code == 1 and as_json.stdout == ""
    failure = json.loads(as_json.stderr)
    assert failure["exit_code"] == 1 and failure["problem"]["status"] == 403
    assert "needs an admin token" in failure["error"]
    usage = json.loads(run("hotlines", "--json", token=None, env=nothing).stderr)
    assert usage["exit_code"] == 2 and "no hub address" in usage["error"]


def test_administration_commands(run: Run) -> None:
    added = run("hotlines", "add", "NL-MELDPUNT", "--name", "Meldpunt", "--country", "NL", "--json")
    assert out(added)["countries"] == ["NL"]
    run(
        "hotlines",
        "add",
        "BE-CHILDFOCUS",
        "--name",
        "Child Focus",
        "--country",
        "BE",
        "--country",
        "NL",
    )
    assert "NL-MELDPUNT" in run("hotlines").stdout
    assert [h["id"] for h in out(run("hotlines", "list", "--json", "--limit", "1"))] == [
        "BE-CHILDFOCUS"
    ]
    assert out(run("hotlines", "update", "NL-MELDPUNT", "--inactive", "--json"))["active"] is False
    assert "Meldpunt" in run("hotlines", "get", "NL-MELDPUNT").stdout
    assert out(run("routes", "set", "NL", "BE-CHILDFOCUS", "--json")) == {
        "country": "NL",
        "hotline": "BE-CHILDFOCUS",
        "kind": "primary",
    }
    assert out(run("routes", "--json")) == [
        {"country": "NL", "hotline": "BE-CHILDFOCUS", "kind": "primary"}
    ]

    created = run("tokens", "create", "--principal", "auditor", "--subject", "court")
    secret = created.stdout.strip()
    assert created.exit_code == 0 and len(secret) > 40 and "store it now" in created.stderr
    listed = out(run("tokens", "--json"))
    token_id = next(t["id"] for t in listed if t["subject"] == "court")
    assert run("tokens", "revoke", token_id).exit_code == 0
    assert run("keys", token=None).exit_code == 0  # keys need no token
    assert run("audit", token=secret).exit_code == 1  # revoked

    conflict = run("hotlines", "add", "NL-MELDPUNT", "--name", "x", "--country", "NL")
    assert conflict.exit_code == 1 and "409" in conflict.stderr
    invalid = run("hotlines", "add", "nope", "--name", "x", "--country", "NL")
    assert invalid.exit_code == 2 and "invalid input" in invalid.stderr


def test_hotline_commands_from_report_to_status(run: Run, api: Hub, tmp_path: Path) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("GB-IWF", ["GB"])
    iwf, meldpunt = api.token("hotline", "GB-IWF"), api.token("hotline", "NL-MELDPUNT")
    submitted = run(
        "submit", "--reference", "IWF-1", "--url", "https://files.example.net/a.jpg",
        "--sha256", "ab" * 32, "--observed-at", "2026-11-24T09:30:00Z", "--json", *ASSESSED,
        token=iwf,
    )  # fmt: skip
    report_out = out(submitted)
    assert report_out["routing"]["to"] == "NL-MELDPUNT"
    again = run("submit", "--reference", "IWF-1", "--url", "https://files.example.net/a.jpg",
                "--sha256", "ab" * 32, "--observed-at", "2026-11-24T09:30:00Z", *ASSESSED,
                token=iwf)  # fmt: skip
    assert "already submitted (replay)" in again.stdout
    assert "IWF-1" in run("reports", token=iwf).stdout
    assert out(run("reports", report_out["id"], "--json", token=iwf))["reference"] == "IWF-1"

    referral = out(run("inbox", "--json", token=meldpunt))[0]
    assert out(run("inbox", referral["id"], "--json", token=meldpunt))["case"] == referral["case"]
    one = out(run("events", "--limit", "1", "--json", token=meldpunt))
    assert len(one["events"]) == 1 and one["cursor"]
    pulled = out(run("events", "--json", "--verify", "--ack", token=meldpunt))
    assert [e["type"] for e in pulled["events"]] == ["referral.created"]
    assert pulled["acknowledged"] == 1 and pulled["cursor"]
    assert out(run("events", "--after", pulled["cursor"], "--json", token=meldpunt))["events"] == []

    moved = run("status", referral["id"], "accepted", token=meldpunt)
    assert moved.exit_code == 0 and "is now accepted" in moved.stdout
    wrong = run("status", referral["id"], "pending", token=meldpunt)
    assert wrong.exit_code == 1 and "allowed next: notice_sent" in wrong.stderr
    assert out(run("case", referral["case"], "--json", token=iwf))["status"] == "accepted"
    assert "Submitted" not in run("stats").stdout and run("stats").exit_code == 0
    assert out(run("stats", "--json"))["cases"]["total"] == 1
    domestic = out(run("submit", "--reference", "IWF-2", "--url", "https://files.example.net/d",
                       "--md5", "cd" * 16, "--hosting-ip", "203.0.113.200", "--json", *ASSESSED,
                       "--observed-at", "2026-11-24T09:30:00Z", token=iwf))  # fmt: skip
    assert run("status", "--case", domestic["case"]["id"], "accepted", token=iwf).exit_code == 0
    forbidden = run("stats", token=iwf)
    assert forbidden.exit_code == 1 and "403" in forbidden.stderr


def test_unassigned_and_dead_queues(run: Run, api: Hub) -> None:
    api.register("GB-IWF", ["GB"]).post(
        "/v1/reports", json=report(url="https://images.example.de/x")
    )
    api.register("DE-ECO", ["FR"])
    case_id = out(run("unassigned", "--json"))[0]["id"]
    assert case_id in run("unassigned").stdout
    assert run("unassigned", "route", case_id, "DE-ECO").exit_code == 0
    assert out(run("unassigned", "--json")) == []
    assert out(run("dead", "--json")) == []
    assert run("dead", "retry", "evt_missing").exit_code == 1


def test_submit_a_csv_file_with_errors_written_out(run: Run, api: Hub, tmp_path: Path) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    api.register("GB-IWF", ["GB"])
    rows = ["reference,url,sha256,classification,age_group,site_type,observed_at,hosting_ip"]
    rows += [
        f"C-{i},https://files.example.net/{i},{i:064x},baseline,unknown,forum,2026-11-24T09:30:00Z,"
        for i in range(5)
    ]
    rows += [
        "C-bad,https://files.example.net/bad,nothex,baseline,unknown,forum,2026-11-24T09:30:00Z,"
    ]
    rows += ["C-5,https://files.example.net/0,,baseline,unknown,forum,2026-11-24T09:30:00Z,", ""]
    source = tmp_path / "reports.csv"
    source.write_text("\n".join(rows))
    errors = tmp_path / "errors.jsonl"
    result = run(
        "submit",
        "--file",
        str(source),
        "--errors",
        str(errors),
        "--json",
        token=api.token("hotline", "GB-IWF"),
    )
    assert result.exit_code == 4, result.output
    summary = json.loads(result.stdout)
    assert summary["routed"] == 5 and summary["rejected"] == 2 and summary["total"] == 7
    rejected = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [(r["line"], r["reference"]) for r in rejected] == [(7, "C-bad"), (8, "C-5")]
    assert rejected[0]["problem"]["status"] == 422


@pytest.fixture
def lying_hub() -> Iterator[tuple[str, FakeLog]]:
    """A tiny real HTTP server answering from a FakeLog the test can tamper with."""
    log = FakeLog(size=12)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = log.handle(httpx.Request("GET", f"http://fake{self.path}"))
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", log
    server.shutdown()
    server.server_close()


def test_audit_of_a_lying_hub_fails_with_exit_code_3(
    lying_hub: tuple[str, FakeLog], tmp_path: Path
) -> None:
    url, log = lying_hub
    state = str(tmp_path / "audit.json")

    def audit(*extra: str) -> Result:
        env = {"HUB_URL": url, "HUB_TOKEN": "auditor", "XDG_CONFIG_HOME": str(tmp_path)}
        return CliRunner().invoke(app, ["audit", "--state", state, *extra], env=env)

    first = audit("--pin", log.verifier_key, "--full")
    assert first.exit_code == 0, first.output
    assert "12 entries" in first.stdout and "hash to the signed root" in first.stdout
    log.append(3)
    assert "consistent with the tree of 12" in audit().stdout

    log.leaves = log.leaves[:10]
    rolled_back = audit()
    assert rolled_back.exit_code == 3 and "rollback" in rolled_back.stderr

    log.append(10)
    log.leaves[0] = b'{"forged":true}'
    forked = audit()
    assert forked.exit_code == 3 and "fork" in forked.stderr

    log.signer = Signer(log.origin)
    forged = audit()
    assert forged.exit_code == 3 and "not signed by" in forged.stderr
    assert json.loads(Path(state).read_text())["size"] == 15


def test_audit_of_the_real_hub(run: Run, api: Hub, tmp_path: Path) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    auditor = api.token("auditor", "court")
    first = out(run("audit", "--json", "--full", token=auditor))
    assert first["trust_on_first_use"] and first["size"] >= 1
    for index in range(3):
        iwf.post("/v1/reports", json=report(f"R-{index}", url=f"https://files.example.net/{index}"))
    second = out(run("audit", "--json", "--full", token=auditor))
    assert second["previous_size"] == first["size"] and second["size"] > first["size"]
    assert second["entries_checked"] == second["size"] - first["size"]
    assert Path(second["state"]).parent == tmp_path / "state" / "hubctl"
    shown = run("keys")
    assert "whpk_" in shown.stdout and "+" in shown.stdout
