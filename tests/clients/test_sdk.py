"""Every SDK call end to end against a live hub: reports, referrals and status, cases,
events, administration, stats and keys, and problems as typed exceptions."""

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clients import HubClient, RejectedReport, SubmittedReport, errors
from clients.webhooks import verify_event
from schemas.reports import ReportIn
from schemas.stats import StatsOut
from tests.conftest import ServerThread, report

Hotline = Callable[..., HubClient]
NOW = datetime.now(UTC).replace(microsecond=0)


def raw_public(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def test_submit_reports_and_replay_by_reference(hotline: Hotline) -> None:
    hotline("NL-MELDPUNT", ["NL"])
    iwf = hotline("GB-IWF", ["GB"])
    body = report("IWF-1")

    first = iwf.reports.submit(body)
    again = iwf.reports.submit(body)
    typed = iwf.reports.submit(ReportIn.model_validate(report("IWF-2")))

    assert isinstance(first, SubmittedReport) and first.created and first.status == 201
    assert first.routing.to == "NL-MELDPUNT" and first.routing.reason == "hosting_country"
    assert not again.created and again.id == first.id
    assert typed.created and typed.reference == "IWF-2"
    assert iwf.reports.get(first.id).reference == "IWF-1"


def test_list_follows_cursors_across_pages(hotline: Hotline) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    for index in range(5):
        iwf.reports.submit(report(f"IWF-{index}", url=f"https://files.example.net/{index}"))

    listed = [r.reference for r in iwf.reports.list(limit=2)]

    assert sorted(listed) == [f"IWF-{index}" for index in range(5)]


def test_batches_answer_per_item_and_one_bad_item_rejects_nothing_else(hotline: Hotline) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    good = [report(f"B-{i}", url=f"https://files.example.net/b/{i}") for i in range(3)]
    bad = {**report("B-bad"), "site_type": "spaceship"}

    results = iwf.reports.submit_batch([good[0], bad, good[1], good[2]])

    assert [type(r).__name__ for r in results] == [
        "SubmittedReport",
        "RejectedReport",
        "SubmittedReport",
        "SubmittedReport",
    ]
    rejected = results[1]
    assert isinstance(rejected, RejectedReport)
    assert (rejected.index, rejected.reference, rejected.status) == (1, "B-bad", 422)


def test_a_rejected_report_and_a_422_name_fields_alike_counting_from_the_report(
    hotline: Hotline,
) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    bad = {**report("B-bad"), "site_type": "spaceship"}
    [rejected] = iwf.reports.submit_batch([bad])
    with pytest.raises(errors.UnprocessableEntity) as single:
        iwf.reports.submit(bad)

    assert isinstance(rejected, RejectedReport) and rejected.errors is not None
    assert [e.loc for e in rejected.errors] == [e.loc for e in single.value.errors]
    assert [e.loc for e in single.value.errors] == [["body", "site_type"]]
    assert "body.site_type:" in str(single.value)


def test_a_sent_batch_is_in_before_its_answer_is_read(hotline: Hotline, hub: ServerThread) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    bad = {**report("S-bad"), "site_type": "spaceship"}

    sent = iwf.reports.send_batch([report("S-1"), bad])

    assert [r.reference for r in iwf.reports.list()] == ["S-1"]
    accepted, rejected = sent.results()
    assert isinstance(accepted, SubmittedReport) and accepted.created
    assert isinstance(rejected, RejectedReport)
    assert (rejected.index, rejected.reference) == (1, "S-bad")
    with pytest.raises(errors.Unauthorized):  # a problem with the whole batch: at once
        HubClient(hub.url, "not-a-token").reports.send_batch([report("S-2")])


def test_a_sent_batch_answered_short_fails_when_read() -> None:
    short = httpx.MockTransport(lambda request: httpx.Response(200, json={"results": []}))
    with HubClient("http://hub.test", "t", transport=short) as iwf:
        sent = iwf.reports.send_batch([report("S-1")])
        with pytest.raises(errors.HubError, match="0 results for 1 reports"):
            sent.results()


def test_a_bad_status_is_an_sdk_error_before_anything_is_sent(hotline: Hotline) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    with pytest.raises(errors.InvalidInput) as invalid:
        iwf.referrals.set_status("ref_00000000000000000000000000", "vanished", NOW)
    assert isinstance(invalid.value, errors.HubError)
    assert [e.loc for e in invalid.value.errors] == [["body", "status"]]
    assert "body.status:" in str(invalid.value)


def test_acknowledging_no_events_is_a_no_op(hotline: Hotline) -> None:
    meldpunt = hotline("NL-MELDPUNT", ["NL"])
    assert meldpunt.events.ack([]).acknowledged == 0
    assert meldpunt.events.ack(iter([])).acknowledged == 0


def test_submit_many_batches_any_iterable_lazily(hotline: Hotline) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    reports = (report(f"M-{i}", url=f"https://files.example.net/m/{i}") for i in range(7))
    bad = [{"reference": "M-bad"}]

    results = list(iwf.reports.submit_many([*reports, *bad], batch_size=3))

    assert len(results) == 8
    assert all(isinstance(r, SubmittedReport) and r.created for r in results[:7])
    assert isinstance(results[7], RejectedReport) and results[7].index == 7
    assert len(list(iwf.reports.list())) == 7


def test_referrals_inbox_get_and_signed_status_updates(hotline: Hotline, tmp_path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "meldpunt.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    meldpunt = hotline("NL-MELDPUNT", ["NL"], public_keys=[raw_public(key)], signing_key=pem)
    iwf = hotline("GB-IWF", ["GB"])
    submitted = iwf.reports.submit(report())

    inbox = list(meldpunt.referrals.inbox())
    assert [r.id for r in inbox] == [submitted.routing.referral]
    referral = meldpunt.referrals.get(inbox[0].id)
    assert referral.reporters == ["GB-IWF"] and referral.status == "pending"

    feed = meldpunt.events.pull()
    events = list(feed)
    assert [e.type for e in events] == ["referral.created"]
    assert feed.cursor is not None
    verify_event(events[0], meldpunt.keys())
    assert meldpunt.events.ack([e.id for e in events]).acknowledged == 1
    assert list(meldpunt.events.pull(after=feed.cursor)) == []

    accepted = meldpunt.referrals.set_status(referral.id, "accepted", NOW - timedelta(minutes=2))
    assert accepted.status == "accepted"
    # The same update again (same occurred_at) is a harmless repeat.
    repeat = meldpunt.referrals.set_status(referral.id, "accepted", NOW - timedelta(minutes=2))
    assert repeat.status == "accepted"
    with pytest.raises(errors.Conflict) as conflict:
        meldpunt.referrals.set_status(referral.id, "pending", NOW)
    assert conflict.value.status == 409 and "notice_sent" in (conflict.value.allowed or [])

    unsigned = HubClient(meldpunt.base_url, meldpunt._base.token)
    with pytest.raises(errors.Unauthorized):
        unsigned.referrals.set_status(referral.id, "notice_sent", NOW)
    unsigned.close()

    meldpunt.referrals.set_status(referral.id, "notice_sent", NOW - timedelta(minutes=1))
    assert iwf.cases.get(submitted.case.id).status == "notice_sent"
    changes = [e for e in iwf.events.pull() if e.type == "case.status_changed"]
    assert [e.data["status"] for e in changes] == ["delivered", "accepted", "notice_sent"]


def test_domestic_cases_are_moved_on_by_their_reporter(hotline: Hotline) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    submitted = iwf.reports.submit(report(hosting_ip="203.0.113.200"))
    assert submitted.routing.reason == "domestic"

    case = iwf.cases.set_status(submitted.case.id, "accepted", NOW)

    assert case.status == "accepted" and iwf.cases.get(case.id).status == "accepted"


def test_unassigned_queue_and_routing_by_hand(admin: HubClient, hotline: Hotline) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    submitted = iwf.reports.submit(report(url="https://images.example.de/x.jpg"))
    assert submitted.routing.reason == "no_member_hotline"
    hotline("DE-ECO", ["DE"])

    queued = list(admin.cases.unassigned())
    assert [c.id for c in queued] == [submitted.case.id]
    routed = admin.cases.route(submitted.case.id, "DE-ECO")
    assert routed.referral is not None and list(admin.cases.unassigned()) == []
    with pytest.raises(errors.Conflict):
        admin.cases.route(submitted.case.id, "DE-ECO")


def test_hotline_administration(admin: HubClient) -> None:
    created = admin.hotlines.create("NL-MELDPUNT", name="Meldpunt", countries=["NL"])
    admin.hotlines.create("BE-CHILDFOCUS", name="Child Focus", countries=["BE", "NL"])
    assert created.active and created.countries == ["NL"]
    assert [h.id for h in admin.hotlines.list(limit=1)] == ["BE-CHILDFOCUS", "NL-MELDPUNT"]

    changed = admin.hotlines.update("NL-MELDPUNT", name="Meldpunt NL", active=False)
    assert changed.name == "Meldpunt NL" and not changed.active
    assert admin.hotlines.get("NL-MELDPUNT").countries == ["NL"]

    route = admin.routes.set("NL", "BE-CHILDFOCUS")
    assert (route.country, route.hotline) == ("NL", "BE-CHILDFOCUS")
    assert [(r.country, r.hotline) for r in admin.routes.list()] == [("NL", "BE-CHILDFOCUS")]
    with pytest.raises(errors.Conflict):
        admin.hotlines.create("NL-MELDPUNT", name="Again", countries=["NL"])


def test_tokens_are_created_listed_and_revoked(admin: HubClient, hub: ServerThread) -> None:
    created = admin.tokens.create("auditor", "court-of-audit")
    assert created.token and created.principal == "auditor"
    assert created.id in [t.id for t in admin.tokens.list()]
    with HubClient(hub.url, created.token) as auditor:
        auditor.log.checkpoint()
        revoked = admin.tokens.revoke(created.id)
        assert revoked.revoked_at is not None
        with pytest.raises(errors.Unauthorized):
            auditor.log.checkpoint()


def test_stats_and_keys(admin: HubClient, hotline: Hotline) -> None:
    hotline("GB-IWF", ["GB"]).reports.submit(report())
    stats = admin.stats()
    assert isinstance(stats, StatsOut) and stats.cases.total == 1
    assert stats.reports_by_hotline == {"GB-IWF": 1}
    keys = admin.keys()
    assert keys.current() and keys.current()[0].webhook_public_key.startswith("whpk_")
    assert keys.current()[0].verifier_key.public_key == keys.current()[0].public_key


def test_problems_become_typed_exceptions(
    admin: HubClient, hotline: Hotline, hub: ServerThread
) -> None:
    iwf = hotline("GB-IWF", ["GB"])
    with pytest.raises(errors.NotFound) as missing:
        iwf.reports.get("rpt_00000000000000000000000000")
    assert missing.value.status == 404 and missing.value.problem["status"] == 404

    with pytest.raises(errors.UnprocessableEntity) as invalid:
        iwf.reports.submit({**report(), "url": "ftp://files.example.net/x", "extra": 1})
    assert {e.loc[-1] for e in invalid.value.errors} >= {"extra"}

    with pytest.raises(errors.Forbidden):
        iwf.stats()
    with pytest.raises(errors.Unauthorized):
        HubClient(hub.url, "not-a-token").reports.get("rpt_x")
    with pytest.raises(errors.PayloadTooLarge):
        iwf.reports.submit({**report(), "reference": "x" * 70_000})
    with pytest.raises(errors.Conflict):
        iwf.reports.submit({**report("SAME"), "site_type": "forum"})
        iwf.reports.submit({**report("SAME"), "site_type": "blog"})
    assert issubclass(errors.RateLimited, errors.HubError)


def test_the_dead_letter_queue_lists_and_retries(admin: HubClient, hotline: Hotline) -> None:
    hotline("NL-MELDPUNT", ["NL"])
    hotline("GB-IWF", ["GB"]).reports.submit(report())
    assert list(admin.deliveries.dead()) == []
    with pytest.raises(errors.NotFound):
        admin.deliveries.retry("evt_00000000000000000000000000")
