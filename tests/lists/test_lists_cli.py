"""`hubctl lists` against a live hub: create, import a file in parts, resume after a bad
line is fixed, show progress, retract; the SDK's async client reads the same lists."""

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from clients import AsyncHubClient
from clients.cli import app
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread, report
from tests.support.hubctl import submit_image


@pytest.fixture
def run(hub: ServerThread, tmp_path: Path) -> Any:
    def invoke(*args: str) -> Result:
        environment = {
            "HUB_URL": hub.url,
            "HUB_TOKEN": ADMIN_TOKEN,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "HUBCTL_SIGNING_KEY": "",
            "COLUMNS": "200",
        }
        return CliRunner().invoke(app, list(args), env=environment, catch_exceptions=False)

    return invoke


def test_import_a_csv_list_resume_after_a_fix_and_match_a_report(
    run: Any, api: Hub, tmp_path: Path
) -> None:
    values = [secrets.token_hex(32) for _ in range(25)]
    rows = [f"sha256,{v},,A1" for v in values]
    rows[17] = "sha256,not-a-hash,,A1"
    source = tmp_path / "iwf.csv"
    source.write_text("alg,value,quality,category\n" + "\n".join(rows) + "\n")

    assert run("lists", "create", "iwf-hashes", "--name", "IWF", "--source", "IWF").exit_code == 0
    failed = run("lists", "import", str(source), "--list", "iwf-hashes", "--part-size", "10")
    assert failed.exit_code == 1
    assert "line.19.value" in failed.output  # line 19 of the file: the header is line 1
    progress = run("lists", "show", "iwf-hashes", "--version", "1", "--json")
    assert json.loads(progress.stdout)["entries"] == 10
    assert json.loads(progress.stdout)["state"] == "importing"

    rows[17] = f"sha256,{values[17]},,A1"
    source.write_text("alg,value,quality,category\n" + "\n".join(rows) + "\n")
    resumed = run(
        "lists", "import", str(source), "--list", "iwf-hashes", "--part-size", "10", "--resume"
    )
    assert resumed.exit_code == 0, resumed.output
    assert "version 1 published: 25 entries (15 sent now)" in resumed.stdout

    iwf = api.register("GB-IWF", ["GB"])
    body = report("R-1")
    body["content"]["hashes"] = [{"alg": "sha256", "value": values[17]}]
    content = iwf.post("/v1/reports", json=body).json()["content"]
    assert content["match"]["lists"] == [{"id": "iwf-hashes", "category": "A1"}]

    shown = run("lists", "show", "iwf-hashes")
    assert "25 entries visible" in shown.stdout
    gone = run("lists", "retract", "--list", "iwf-hashes", "--value", f"sha256:{values[0]}")
    assert "retracted 1 entries" in gone.stdout
    whole = run("lists", "retract", "--list", "iwf-hashes", "--version", "1", "--json")
    assert json.loads(whole.stdout)["state"] == "retracted"


def test_ndjson_import_and_the_async_client(run: Any, hub: ServerThread, tmp_path: Path) -> None:
    source = tmp_path / "ncmec.ndjson"
    entries = [{"alg": "md5", "value": secrets.token_hex(16), "category": "B2"} for _ in range(7)]
    source.write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert run("lists", "create", "ncmec", "--name", "NCMEC", "--source", "NCMEC").exit_code == 0

    imported = run("lists", "import", str(source), "--list", "ncmec", "--json")

    assert json.loads(imported.stdout)["entries"] == 7

    async def read() -> list[Any]:
        async with AsyncHubClient(hub.url, ADMIN_TOKEN) as client:
            return [item async for item in client.lists.list()]

    [found] = asyncio.run(read())
    assert (found.id, found.entries, found.versions[0].state.value) == ("ncmec", 7, "published")


def test_an_ncmec_v2_xml_answer_imports_and_its_deleted_entries_are_retracted(
    run: Any, api: Hub, tmp_path: Path
) -> None:
    kept_md5, kept_pdq, deleted_md5 = (
        secrets.token_hex(16),
        secrets.token_hex(32),
        secrets.token_hex(16),
    )
    assert run("lists", "create", "ncmec", "--name", "NCMEC", "--source", "NCMEC").exit_code == 0
    # An earlier import holds the value NCMEC now reports as deleted.
    earlier = tmp_path / "earlier.ndjson"
    earlier.write_text(json.dumps({"alg": "md5", "value": deleted_md5, "category": "A2"}) + "\n")
    assert run("lists", "import", str(earlier), "--list", "ncmec").exit_code == 0
    source = tmp_path / "entries.xml"
    source.write_text(
        '<?xml version="1.0"?>'
        '<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">'
        '<images count="2" maxTimestamp="2026-11-30T10:00:00Z">'
        f'<image><id>1</id><member id="7">Member</member><classification>A1</classification>'
        f"<fingerprints><md5>{kept_md5}</md5><pdq>{kept_pdq}</pdq></fingerprints></image>"
        f'<deletedImage><id>2</id><member id="7">Member</member>'
        f"<fingerprints><md5>{deleted_md5}</md5></fingerprints></deletedImage>"
        "</images><paging></paging></queryResult>"
    )

    imported = run("lists", "import", str(source), "--list", "ncmec")

    assert imported.exit_code == 0, imported.output
    assert "version 2 published: 2 entries" in imported.stdout
    iwf = api.register("GB-IWF", ["GB"])
    answers = []
    for index, value in enumerate((kept_md5, deleted_md5)):
        body = report(f"R-{index}", f"https://files.example.net/{index}.jpg")
        body["content"]["hashes"] = [{"alg": "md5", "value": value}]
        answers.append(iwf.post("/v1/reports", json=body).json()["content"])
    assert answers[0]["match"]["lists"] == [{"id": "ncmec", "category": "A1"}]
    assert answers[1]["known"] is False


def test_lists_errors_are_json_under_json(run: Any) -> None:
    missing = run("lists", "show", "no-such-list", "--json")
    assert missing.exit_code == 1 and missing.stdout == ""
    failure = json.loads(missing.stderr)
    assert failure["problem"]["status"] == 404 and failure["exit_code"] == 1


def test_a_listed_image_hashed_at_the_hotline_is_known_with_its_list_and_category(
    run: Any, hub: ServerThread, api: Hub, tmp_path: Path
) -> None:
    """The issue's path: an admin imports a list with hubctl; a hotline hashes a near
    duplicate of a listed image locally and submits it; the answer names list and category."""
    pytest.importorskip("pdqhash", reason="the hashing extra is not installed")
    from clients.hashing import pdq_of

    images = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "pdq" / "images"
    listed = pdq_of(images / "bridge-1-original.jpg")
    entries = [{"alg": "pdq", "value": listed.value, "quality": listed.quality, "category": "B1"}]
    entries += [{"alg": "sha256", "value": secrets.token_hex(32), "category": "A1"}]
    source = tmp_path / "c3p.jsonl"
    source.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    assert run("lists", "create", "c3p-arachnid", "--name", "C3P", "--source", "C3P").exit_code == 0
    imported = run("lists", "import", str(source), "--list", "c3p-arachnid")
    assert imported.exit_code == 0, imported.output

    api.register("GB-IWF", ["GB"])
    token = api.token("hotline", "GB-IWF")
    answer = submit_image(hub.url, token, "IWF-LISTED-1", images / "mod-high-contrast.jpg")
    content = answer["content"]
    assert content["known"] is True
    assert content["match"]["alg"] == "pdq" and 0 < content["match"]["distance"] <= 31
    assert content["match"]["lists"] == [{"id": "c3p-arachnid", "category": "B1"}]
