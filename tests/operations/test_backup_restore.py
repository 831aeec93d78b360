"""A backup restores: pg_dump of a hub database, pg_restore into a new database, and
the auditor's verifier accepts the restored log as the same log, grown from its state."""

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from clients import HubClient
from hub.settings import Settings
from tests.conftest import POSTGRES_URL, Hub, ServerThread, libpq, report

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL or not shutil.which("pg_dump"), reason="needs PostgreSQL and pg_dump"
)


def test_a_restored_dump_passes_the_audit(
    settings_for: Callable[..., Settings], postgres, tmp_path: Path
) -> None:
    settings = settings_for(inprocess_worker=True)
    state = tmp_path / "audit.json"
    with ServerThread(settings) as server:
        api = Hub(server.url)
        api.register("NL-MELDPUNT", ["NL"])
        iwf = api.register("GB-IWF", ["GB"])
        for index in range(5):
            body = report(f"BK-{index}", url=f"https://files.example.net/bk/{index}")
            assert iwf.post("/v1/reports", json=body).status_code == 201
        auditor_token = api.token("auditor", "court")
        with HubClient(server.url, auditor_token) as auditor:
            dumped = auditor.log.verify(state, full=True)
        api.close()
        dump = tmp_path / "hub.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={dump}", libpq(settings.database_url)],
            check=True,
            timeout=300,
        )

    restored_url = postgres.fresh_empty()
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={libpq(restored_url)}",
            str(dump),
        ],
        check=True,
        timeout=300,
    )
    restored = settings_for(database_url=restored_url, inprocess_worker=True)
    with ServerThread(restored) as server, HubClient(server.url, auditor_token) as auditor:
        # Same signing key file, same log: consistent with the state saved before the dump.
        result = auditor.log.verify(state, full=True)
        assert result.size >= dumped.size
        assert result.entries_verified == result.size
        assert not result.key_changed
        api = Hub(server.url)
        iwf = api.client(api.token("hotline", "GB-IWF"))
        after = report("BK-after", url="https://files.example.net/bk/after")
        assert iwf.post("/v1/reports", json=after).status_code == 201
        assert auditor.log.verify(state, full=True).size > result.size
        api.close()
