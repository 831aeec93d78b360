"""Retention: cases closed past HUB_RETENTION_DAYS lose their URL, addresses and hashes,
keep what statistics need, get a `retention.purged` leaf, and the log still audits."""

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clients import HubClient
from hub import clock
from hub.__main__ import main
from hub.cases.models import Case
from hub.delivery.models import Event
from hub.matching.models import ContentHash
from hub.reports.models import Report
from hub.retention.service import purge
from tests.conftest import ServerThread, report
from tests.referrals.exchange import Exchange

URL = "https://files.example.net/retained/old.jpg"


@pytest.fixture
def later() -> object:
    saved = clock.offset
    yield clock
    clock.offset = saved


def _closed_case(hotlines: Exchange, url: str) -> str:
    case_id, referral = hotlines.referral(url=url)
    hotlines.walk(referral, ["delivered", "accepted", "notice_sent", "removed"])
    return case_id


def test_purge_erases_a_closed_case_and_keeps_the_log_verifiable(
    hub: ServerThread, hotlines: Exchange, later, tmp_path: Path, monkeypatch, capsys
) -> None:
    database = hub.app.state.hub.database
    old = _closed_case(hotlines, URL)
    still_open, _ = hotlines.referral(url="https://files.example.net/retained/new.jpg")
    auditor = HubClient(hub.url, hotlines.api.token("auditor", "court"))
    state = tmp_path / "audit.json"
    before = auditor.log.verify(state, full=True)
    with database.session(write=False) as session:
        content = session.get(Case, old).content_id
        assert session.scalar(select(func.count()).where(ContentHash.content_id == content)) == 1

    # Not yet old enough (closed about a day ago, see tests/referrals/exchange.py).
    assert purge(database, 2).cases == 0
    later.offset += timedelta(days=5)

    monkeypatch.setenv("HUB_DATABASE_URL", hub.app.state.hub.settings.database_url)
    assert main(["admin", "purge", "--dry-run", "--days", "2"]) == 0
    assert "would purge 1 cases" in capsys.readouterr().out
    with database.session(write=False) as session:
        assert session.get(Case, old).url_key != ""  # a dry run changes nothing

    done = purge(database, 2, actor="operator")
    assert (done.cases, done.content_hashes) == (1, 1)
    assert done.events >= 1
    with database.session(write=False) as session:
        case = session.get(Case, old)
        assert (case.url_key, case.url_hash, case.hosting_ip) == ("", "", None)
        assert case.purged_at is not None
        # What statistics need stays.
        assert (case.status, case.hosting_country) == ("removed", "NL")
        assert case.assessment["classification"] == "baseline"
        assert case.closed_at is not None
        reports = session.scalars(select(Report).where(Report.case_id == old)).all()
        assert [r.hosting_ip for r in reports] == [None]
        assert session.scalar(select(func.count()).where(ContentHash.content_id == content)) == 0
        bodies = [bytes(b) for b in session.scalars(select(Event.body))]
        assert not [b for b in bodies if old.encode() in b]
        assert [b for b in bodies if still_open.encode() in b]  # the open case keeps its events
        kept = session.get(Case, still_open)
        assert kept.url_key and kept.purged_at is None
    stats = hotlines.api.admin.get("/v1/stats").json()
    assert stats["cases"]["by_status"]["removed"] == 1

    entries = list(auditor.log.entries(0, auditor.log.verify().size))
    purged = [e.event for e in entries if e.event["type"] == "retention.purged"]
    assert [(leaf["case"], leaf["actor"], leaf["country"]) for leaf in purged] == [
        (old, "operator", "NL")
    ]
    assert not [e for e in entries if b"example.net" in base64.b64decode(e.leaf_input)]
    after = auditor.log.verify(state, full=True)  # consistent with the audit before
    assert after.size > before.size

    # Purging again finds nothing; the purged URL reported again opens a new case.
    assert purge(database, 2).cases == 0
    answer = hotlines.iwf.post("/v1/reports", json=report("AGAIN-1", url=URL))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["case"]["id"] not in (old, still_open)
    assert body["routing"]["reason"] == "hosting_country"
    with database.session(write=False) as session:
        assert session.get(Case, body["case"]["id"]).previous_case_id is None


def test_content_another_case_still_holds_keeps_its_hashes(
    hub: ServerThread, hotlines: Exchange, later
) -> None:
    database = hub.app.state.hub.database
    shared = {"kind": "image", "hashes": [{"alg": "sha256", "value": "ab" * 32}]}
    _case, referral = hotlines.referral(url=URL, content=shared)
    hotlines.walk(referral, ["delivered", "accepted", "notice_sent", "removed"])
    hotlines.referral(url="https://files.example.net/retained/mirror.jpg", content=shared)
    later.offset += timedelta(days=5)
    done = purge(database, 2)
    assert (done.cases, done.content_hashes) == (1, 0)
    with database.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ContentHash)) == 1


def test_purge_without_a_retention_setting_is_refused(monkeypatch, capsys, database_url) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.delenv("HUB_RETENTION_DAYS", raising=False)
    assert main(["admin", "purge", "--dry-run"]) == 2
    assert "HUB_RETENTION_DAYS" in capsys.readouterr().err
