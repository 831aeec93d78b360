"""Running `hubctl` the way a hotline would, for tests of more than one area."""

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from clients.cli import app


def submit_image(hub_url: str, token: str, reference: str, image: Path) -> dict[str, Any]:
    """`hubctl submit --image` of one file (hashed locally) as a hotline; its JSON answer."""
    result = CliRunner().invoke(
        app,
        [
            "submit",
            "--json",
            "--reference",
            reference,
            "--url",
            f"https://files.example.net/{reference}",
            "--image",
            str(image),
            "--classification",
            "baseline",
            "--site-type",
            "image_host",
            "--observed-at",
            "2026-11-24T09:30:00Z",
        ],
        env={"HUB_URL": hub_url, "HUB_TOKEN": token, "XDG_CONFIG_HOME": "/nonexistent"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer
