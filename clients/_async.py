"""`AsyncHubClient`: the SDK over one `httpx.AsyncClient`; everything but sending and
sleeping comes from the I/O-free core in `_base`. `HubClient` (`_sync.py`) is generated
from this file by `scripts/unasync.py` (at install, by `make`): change this one."""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from clients import _base, audit
from clients._base import NOT_GIVEN, Call, Emit, Flow, SentBatch
from clients._models import (
    AckOut,
    ConsistencyProof,
    DeliveryOut,
    EventOut,
    InclusionProof,
    KeySet,
    LogEntry,
    RejectedReport,
    SubmittedReport,
)
from clients._signatures import SigningKey
from schemas.common import Page
from schemas.hotlines import HotlineIn, HotlineOut, PrincipalKind, RouteOut, TokenCreated, TokenOut
from schemas.lists import NDJSON, ListIn, ListOut, PartOut, RetractOut, VersionOut
from schemas.referrals import CaseOut, ReferralOut, Status
from schemas.reports import MAX_BATCH, ReportIn, ReportOut
from schemas.stats import StatsOut

__all__ = ["AsyncHubClient"]

T = TypeVar("T")
R = TypeVar("R")
ReportLike = ReportIn | Mapping[str, Any]


class _Resource:
    def __init__(self, client: AsyncHubClient) -> None:
        self._client = client


class Reports(_Resource):
    """`/v1/reports`: submit hash-only reports and read your own (hotline)."""

    async def submit(self, report: ReportLike) -> SubmittedReport:
        """One report; `.created` is False when it replays an earlier `reference`."""
        return await self._client._request(_base.submit_report(report))

    async def submit_batch(
        self, reports: Iterable[ReportLike]
    ) -> list[SubmittedReport | RejectedReport]:
        """Up to 1000 reports in one call; a result per report, in order."""
        return await self._client._request(_base.submit_batch(reports))

    async def send_batch(self, reports: Iterable[ReportLike]) -> SentBatch:
        """`submit_batch` in two halves, for pipelines: this one sends (with the retries)
        and raises what `submit_batch` raises for the batch as a whole; `.results()` of
        what it returns reads the answer, while the next batch is already on its way."""
        return await self._client._request(_base.send_batch(reports))

    def submit_many(
        self, reports: Iterable[ReportLike], batch_size: int = MAX_BATCH
    ) -> AsyncIterator[SubmittedReport | RejectedReport]:
        """Any number of reports, in batches; yields a result per report, in order."""
        return self._client._iterate(_base.submit_many(reports, batch_size))

    async def get(self, report_id: str) -> ReportOut:
        return await self._client._request(_base.get_report(report_id))

    def list(self, *, limit: int | None = None) -> AsyncIterator[ReportOut]:
        """Your reports, oldest first, following `next` cursors (`limit` is the page size)."""
        return self._client._iterate(_base.paginate(_base.list_reports(limit)))


class Referrals(_Resource):
    """`/v1/referrals`: the cases handed to your hotline, and their status (hotline)."""

    def inbox(self, *, limit: int | None = None) -> AsyncIterator[ReferralOut]:
        return self._client._iterate(_base.paginate(_base.inbox(limit)))

    async def get(self, referral_id: str) -> ReferralOut:
        return await self._client._request(_base.get_referral(referral_id))

    async def set_status(
        self,
        referral_id: str,
        status: Status | str,
        occurred_at: datetime | str,
        country: str | None = None,
        *,
        webhook_id: str | None = None,
    ) -> ReferralOut:
        """Moves the referral on; signed when the client holds a signing key."""
        call = _base.set_referral_status(referral_id, status, occurred_at, country, webhook_id)
        return await self._client._request(call)


class Cases(_Resource):
    """`/v1/cases`: a case's status, domestic status updates, the unassigned queue."""

    async def get(self, case_id: str) -> CaseOut:
        return await self._client._request(_base.get_case(case_id))

    async def set_status(
        self,
        case_id: str,
        status: Status | str,
        occurred_at: datetime | str,
        *,
        webhook_id: str | None = None,
    ) -> CaseOut:
        """Status of a domestic case, by its reporter; signed when the client holds a key."""
        return await self._client._request(
            _base.set_case_status(case_id, status, occurred_at, webhook_id)
        )

    def unassigned(self, *, limit: int | None = None) -> AsyncIterator[CaseOut]:
        """Cases no member hotline serves, waiting for the admin (admin)."""
        return self._client._iterate(_base.paginate(_base.unassigned_cases(limit)))

    async def route(self, case_id: str, hotline: str) -> CaseOut:
        """Routes an unassigned case to `hotline` by hand (admin)."""
        return await self._client._request(_base.route_case(case_id, hotline))


class EventFeed(AsyncIterator[EventOut]):
    """Events in hub order, across pages; `.cursor` is where to resume (`after=`): it
    moves past a page once all of its events have been handed out."""

    def __init__(self, client: AsyncHubClient, after: str | None, limit: int | None) -> None:
        self.cursor = after
        flow = _base.paginate(_base.events(after, limit), self._advance)
        self._events: AsyncIterator[EventOut] = client._iterate(flow)

    def _advance(self, cursor: str) -> None:
        self.cursor = cursor

    async def __anext__(self) -> EventOut:
        return await anext(self._events)


class Events(_Resource):
    """`/v1/events`: the pull side of delivery (hotline)."""

    def pull(self, after: str | None = None, *, limit: int | None = None) -> EventFeed:
        """Events after cursor `after`, in hub order, until there are no more."""
        return EventFeed(self._client, after, limit)

    async def page(self, after: str | None = None, *, limit: int | None = None) -> Page[EventOut]:
        """One page of events and the cursor to resume from (`next`)."""
        return await self._client._request(_base.events(after, limit))

    async def ack(self, ids: Iterable[str]) -> AckOut:
        """Marks your events delivered, so they are not pushed again; no ids, no request."""
        ids = list(ids)
        if not ids:
            return AckOut(acknowledged=0)
        return await self._client._request(_base.ack_events(ids))


class Hotlines(_Resource):
    """`/v1/hotlines` (admin)."""

    async def create(
        self,
        id: str,
        *,
        name: str,
        countries: Iterable[str],
        webhook_url: str | None = None,
        public_keys: Iterable[str] = (),
    ) -> HotlineOut:
        hotline = HotlineIn(
            id=id,
            name=name,
            countries=list(countries),
            webhook_url=webhook_url,
            public_keys=list(public_keys),
        )
        return await self._client._request(_base.create_hotline(hotline))

    async def get(self, hotline_id: str) -> HotlineOut:
        return await self._client._request(_base.get_hotline(hotline_id))

    async def update(
        self,
        hotline_id: str,
        *,
        name: str = NOT_GIVEN,
        countries: Iterable[str] = NOT_GIVEN,
        webhook_url: str | None = NOT_GIVEN,
        public_keys: Iterable[str] = NOT_GIVEN,
        active: bool = NOT_GIVEN,
    ) -> HotlineOut:
        """Changes only the fields given (`webhook_url=None` removes the webhook)."""
        patch = _base.hotline_patch(
            name=name,
            countries=countries if countries is NOT_GIVEN else list(countries),
            webhook_url=webhook_url,
            public_keys=public_keys if public_keys is NOT_GIVEN else list(public_keys),
            active=active,
        )
        return await self._client._request(_base.update_hotline(hotline_id, patch))

    def list(self, *, limit: int | None = None) -> AsyncIterator[HotlineOut]:
        return self._client._iterate(_base.paginate(_base.list_hotlines(limit)))


class Routes(_Resource):
    """`/v1/routes` (admin): the primary hotline of a country several hotlines serve."""

    async def set(self, country: str, hotline: str) -> RouteOut:
        return await self._client._request(_base.set_route(country, hotline))

    def list(self, *, limit: int | None = None) -> AsyncIterator[RouteOut]:
        return self._client._iterate(_base.paginate(_base.list_routes(limit)))


class Tokens(_Resource):
    """`/v1/tokens` (admin)."""

    async def create(
        self,
        principal: PrincipalKind | str,
        subject: str,
        *,
        expires_at: datetime | None = None,
    ) -> TokenCreated:
        """Issues a token; `.token` is the secret, shown this once. Never retried."""
        return await self._client._request(_base.create_token(principal, subject, expires_at))

    async def revoke(self, token_id: str) -> TokenOut:
        return await self._client._request(_base.revoke_token(token_id))

    def list(self, *, limit: int | None = None) -> AsyncIterator[TokenOut]:
        return self._client._iterate(_base.paginate(_base.list_tokens(limit)))


class Deliveries(_Resource):
    """`/v1/deliveries` (admin): event pushes, and those that could not be made."""

    def dead(self, *, limit: int | None = None) -> AsyncIterator[DeliveryOut]:
        """Events whose push failed for good; they stay pullable by their hotline."""
        return self._client._iterate(_base.paginate(_base.deliveries("dead", limit)))

    def list(self, state: str = "dead", *, limit: int | None = None) -> AsyncIterator[DeliveryOut]:
        """Pushes in `state`: `pending`, `delivered` or `dead`."""
        return self._client._iterate(_base.paginate(_base.deliveries(state, limit)))

    async def retry(self, event_id: str) -> DeliveryOut:
        """Puts a dead event back in line for a push now."""
        return await self._client._request(_base.retry_delivery(event_id))


class Log(_Resource):
    """`/v1/log`: the signed exchange log (auditor, hotline)."""

    async def checkpoint(self) -> str:
        """The latest signed checkpoint, as signed-note text (not verified here)."""
        return await self._client._request(_base.checkpoint())

    def entries(self, start: int, end: int) -> AsyncIterator[LogEntry]:
        """Entries [start, end), fetched 1000 at a time."""
        return self._client._iterate(_base.entries(start, end))

    async def inclusion_proof(
        self, tree_size: int, *, index: int | None = None, leaf_hash: bytes | str | None = None
    ) -> InclusionProof:
        return await self._client._request(_base.inclusion_proof(tree_size, index, leaf_hash))

    async def consistency_proof(self, first: int, second: int) -> ConsistencyProof:
        return await self._client._request(_base.consistency_proof(first, second))

    async def verify(
        self,
        state_file: str | os.PathLike[str] | None = None,
        *,
        pin: str | None = None,
        full: bool = False,
    ) -> audit.AuditResult:
        """Verifies the checkpoint against the pinned key (or the state file's, or the
        hub's on first use), its consistency with the state file's, and with `full`
        every entry; raises an `errors.AuditError`. State is saved only on success."""
        flow = audit.audit_flow(state_file, pin, full, str(self._client.base_url))
        return await self._client._drive(flow)


class Lists(_Resource):
    """Hash lists of known content (admin): create, import in versions, retract."""

    async def create(self, list_id: str, *, name: str, source: str) -> ListOut:
        body = ListIn.model_validate({"id": list_id, "name": name, "source": source})
        return await self._client._request(_base.create_list(body))

    async def get(self, list_id: str) -> ListOut:
        return await self._client._request(_base.get_list(list_id))

    def list(self, *, limit: int | None = None) -> AsyncIterator[ListOut]:
        return self._client._iterate(_base.paginate(_base.list_lists(limit)))

    async def open_version(self, list_id: str) -> VersionOut:
        return await self._client._request(_base.open_version(list_id))

    async def version(self, list_id: str, version: int) -> VersionOut:
        return await self._client._request(_base.get_version(list_id, version))

    async def import_part(
        self,
        list_id: str,
        version: int,
        lines: bytes,
        *,
        part: int = 1,
        first_line: int = 1,
        media_type: str = NDJSON,
    ) -> PartOut:
        call = _base.import_part(list_id, version, part, first_line, lines, media_type)
        return await self._client._request(call)

    async def publish(self, list_id: str, version: int) -> VersionOut:
        return await self._client._request(_base.publish_version(list_id, version))

    async def retract_version(self, list_id: str, version: int) -> VersionOut:
        return await self._client._request(_base.retract_version(list_id, version))

    async def retract(self, list_id: str, entries: Iterable[Mapping[str, str]]) -> RetractOut:
        return await self._client._request(_base.retract_values(list_id, entries))


class AsyncHubClient:
    """The hub's API over one `httpx.AsyncClient`; the same methods as `HubClient`,
    awaited; lists are async iterators. Use it as an async context manager.

    >>> async with AsyncHubClient("https://hub.example.org", token) as hub:
    ...     await hub.reports.submit(report)
    """

    def __init__(
        self,
        base_url: str | httpx.URL,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = _base.DEFAULT_TIMEOUT,
        max_retries: int = _base.DEFAULT_MAX_RETRIES,
        retry_backoff: float = _base.DEFAULT_BACKOFF,
        transport: httpx.AsyncBaseTransport | None = None,
        signing_key: SigningKey | None = None,
        headers: Mapping[str, str] | None = None,
        verify: ssl.SSLContext | str | bool = True,
    ) -> None:
        self._base = _base.BaseClient(
            base_url,
            token,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            signing_key=signing_key,
            headers=headers,
        )
        self._http = httpx.AsyncClient(
            timeout=timeout, transport=transport, verify=_base.tls_context(verify)
        )
        self.reports = Reports(self)
        self.referrals = Referrals(self)
        self.cases = Cases(self)
        self.events = Events(self)
        self.hotlines = Hotlines(self)
        self.routes = Routes(self)
        self.tokens = Tokens(self)
        self.deliveries = Deliveries(self)
        self.log = Log(self)
        self.lists = Lists(self)

    @property
    def base_url(self) -> httpx.URL:
        return self._base.base_url

    def __repr__(self) -> str:
        return f"AsyncHubClient({str(self.base_url)!r})"  # never the token

    async def stats(self) -> StatsOut:
        """Counts by country, hotline and status, and the timings (admin; docs/stats.md)."""
        return await self._request(_base.stats())

    async def keys(self) -> KeySet:
        """The hub's public keys, current and retired (no token needed)."""
        return await self._request(_base.keys())

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncHubClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # The only code that differs between the two clients: sending, sleeping, driving flows.

    async def _request(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            request = self._base.build_request(call)
            try:
                response = await self._http.send(request)
            except httpx.TransportError as error:
                delay = self._base.retry_delay(call, attempt, error=error)
                if delay is None:
                    raise self._base.network_error(call, error) from error
            else:
                delay = self._base.retry_delay(call, attempt, response=response)
                if delay is None:
                    return self._base.finish(call, response)
                await response.aclose()
            await anyio.sleep(delay)
            attempt += 1

    async def _iterate(self, flow: Flow[Any]) -> AsyncIterator[Any]:
        """The items `flow` emits, making the calls it yields and sending it their results."""
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration:
                return
            value, error = None, None
            if isinstance(step, Emit):
                yield step.value
                continue
            try:
                value = await self._request(step)
            except Exception as failure:
                error = failure

    async def _drive(self, flow: Flow[R]) -> R:
        """What `flow` returns, once it has run to its end (its items are dropped)."""
        result: list[R] = []

        def keep_result() -> Flow[None]:
            result.append((yield from flow))

        async for _ in self._iterate(keep_result()):
            pass
        return result[0]
