"""Type-checked, never run: `mypy --strict` (in .ci/run) must see the SDK's answers as
their real models, not `Any`, in the sync and the async client alike."""

from typing import assert_type

from clients import AsyncHubClient, HubClient, RejectedReport, SentBatch, SubmittedReport, errors
from clients.webhooks import verify_event
from schemas.common import FieldError, Page
from schemas.events import AckOut, EventOut
from schemas.hotlines import HotlineOut, TokenCreated
from schemas.referrals import CaseOut, ReferralOut
from schemas.reports import ReportOut
from schemas.stats import StatsOut

REPORT = {"reference": "IWF-1", "url": "https://files.example.net/a.jpg"}


def sync_usage(hub: HubClient) -> None:
    submitted = hub.reports.submit(REPORT)
    assert_type(submitted, SubmittedReport)
    assert_type(submitted.created, bool)
    assert_type(hub.reports.get(submitted.id), ReportOut)
    for result in hub.reports.submit_many([REPORT]):
        assert_type(result, SubmittedReport | RejectedReport)
        if isinstance(result, RejectedReport):
            assert_type(result.errors, list[FieldError] | None)
    sent = hub.reports.send_batch([REPORT])
    assert_type(sent, SentBatch)
    assert_type(sent.results(), list[SubmittedReport | RejectedReport])
    for referral in hub.referrals.inbox():
        assert_type(referral, ReferralOut)
    assert_type(hub.cases.get(submitted.case.id), CaseOut)
    assert_type(hub.events.page(), Page[EventOut])
    events = list(hub.events.pull())
    assert_type(events, list[EventOut])
    assert_type(hub.events.ack([event.id for event in events]), AckOut)
    assert_type(verify_event(events[0], hub.keys()), EventOut)
    assert_type(hub.stats(), StatsOut)
    assert_type(hub.stats().cases.total, int)
    assert_type(hub.hotlines.get("GB-IWF"), HotlineOut)
    assert_type(hub.tokens.create("hotline", "GB-IWF"), TokenCreated)
    try:
        hub.reports.submit(REPORT)
    except errors.UnprocessableEntity as invalid:
        assert_type(invalid.errors, list[FieldError])


async def async_usage(hub: AsyncHubClient) -> None:
    submitted = await hub.reports.submit(REPORT)
    assert_type(submitted, SubmittedReport)
    assert_type(await hub.reports.get(submitted.id), ReportOut)
    async for result in hub.reports.submit_many([REPORT]):
        assert_type(result, SubmittedReport | RejectedReport)
    assert_type(
        (await hub.reports.send_batch([REPORT])).results()[0], SubmittedReport | RejectedReport
    )
    async for referral in hub.referrals.inbox():
        assert_type(referral, ReferralOut)
    assert_type(await hub.events.ack([]), AckOut)
    assert_type(await hub.stats(), StatsOut)
