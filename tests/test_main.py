"""`python -m hub` as an operator meets it: no silent empty database, typos in HUB_*
variables named, JSON logs without colour codes, a word when no worker runs, the demo."""

import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hub.demo import seed
from hub.settings import Settings
from tests.conftest import ServerThread, free_port
from tests.support.processes import ROOT, hub_environment, serve_processes


def run_hub(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}


def test_create_token_in_another_folder_refuses_instead_of_making_an_empty_database(
    tmp_path: Path,
) -> None:
    done = run_hub("admin", "create-token", cwd=tmp_path, env=clean_env())
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"no hub database at {tmp_path / 'hub.db'}" in done.stderr
    assert not (tmp_path / "hub.db").exists()


def test_create_token_names_the_database_it_wrote_to(tmp_path: Path) -> None:
    done = run_hub("admin", "create-token", "--new-database", cwd=tmp_path, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hub_")
    assert str(tmp_path / "hub.db") in done.stderr


def test_a_misspelt_setting_is_a_warning_naming_it(tmp_path: Path) -> None:
    env = {**clean_env(), "HUB_DATABSE_URL": "postgresql://db.internal/hub"}
    done = run_hub("admin", "create-token", "--new-database", cwd=tmp_path, env=env)
    warnings = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert any(
        w["level"] == "warning"
        and "HUB_DATABSE_URL is not a hub setting" in w["msg"]
        and "HUB_DATABASE_URL" in w["msg"].split("mean", 1)[1]
        for w in warnings
    ), done.stderr
    assert "db.internal" not in done.stderr


def test_serve_logs_are_plain_json_and_say_when_no_worker_runs(settings: Settings) -> None:
    process_env = hub_environment(settings, HUB_LOG_LEVEL="INFO", HUB_INPROCESS_WORKER="0")
    done = subprocess.run(
        [sys.executable, "-c", SERVE_ONCE, str(free_port())],
        cwd=ROOT,
        env=process_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.splitlines()
    assert lines, done
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert not any("\x1b" in line for line in lines)
    assert not any("color_message" in entry for entry in entries)
    assert any("runs no delivery worker" in e["msg"] for e in entries), lines
    assert any(re.search(r"Uvicorn running on", e["msg"]) for e in entries), lines


def test_serve_keeps_an_idle_connection_longer_than_clients_keep_theirs(
    settings: Settings,
) -> None:
    # httpx drops a connection idle for 5 s; a server closing at the same moment made a
    # request sent on it fail. Past those 5 s the connection still answers.
    port = free_port()
    with serve_processes(settings, [port]):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() == b'{"status":"ok"}'
            first = conn.sock
            time.sleep(6)
            conn.request("GET", "/healthz")  # on the same socket: RemoteDisconnected if closed
            assert conn.getresponse().status == 200
            assert conn.sock is first
        finally:
            conn.close()


# Starts `python -m hub serve` in-process and stops it once it has started.
SERVE_ONCE = """
import sys, uvicorn
from hub.__main__ import main
original = uvicorn.Server.startup
async def startup(self, sockets=None):
    await original(self, sockets)
    self.should_exit = True
uvicorn.Server.startup = startup
sys.exit(main(["serve", "--port", sys.argv[1]]))
"""


def test_demo_seeds_two_hotlines_whose_tokens_work(hub: ServerThread, settings: Settings) -> None:
    steps = seed(settings, hub.url)
    tokens = dict(re.findall(r"export (\w+_TOKEN)=(hub_\S+)", steps))
    assert set(tokens) == {"ADMIN_TOKEN", "IWF_TOKEN", "MELDPUNT_TOKEN"}
    assert f"export HUB_URL={hub.url}" in steps
    assert "--classification baseline" in steps and "--site-type image_host" in steps
    seed(settings, hub.url)  # a second run keeps the hotlines and adds tokens
    listed = httpx.get(
        f"{hub.url}/v1/hotlines",
        headers={"Authorization": f"Bearer {tokens['ADMIN_TOKEN']}"},
        timeout=10,
    ).json()["items"]
    assert {h["id"] for h in listed} == {"GB-IWF", "NL-MELDPUNT"}
    for name in ("IWF_TOKEN", "MELDPUNT_TOKEN"):
        answer = httpx.get(
            f"{hub.url}/v1/referrals",
            headers={"Authorization": f"Bearer {tokens[name]}"},
            timeout=10,
        )
        assert answer.status_code == 200


def test_the_commands_the_demo_prints_take_a_report_to_an_accepted_referral(
    default_hub: ServerThread, default_settings: Settings
) -> None:
    steps = seed(default_settings, default_hub.url)
    env = {**clean_env(), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", steps],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "submitted:" in done.stdout and "NL-MELDPUNT" in done.stdout
    assert "is now accepted" in done.stdout
