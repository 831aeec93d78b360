"""The SDK is installable alone: importing `clients` (and the CLI) never imports `hub`,
even when `hub` cannot be imported at all."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib.abc, sys

class NoHub(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "hub" or name.startswith("hub."):
            raise ImportError("the SDK must not import " + name)
        return None

sys.meta_path.insert(0, NoHub())
import clients, clients.audit, clients.webhooks, clients.cli
from clients import HubClient, AsyncHubClient, errors
assert "hub" not in sys.modules, sorted(m for m in sys.modules if m.startswith("hub"))
print("ok")
"""


def test_clients_import_without_hub() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
