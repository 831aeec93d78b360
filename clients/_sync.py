# Generated from _async.py by scripts/unasync.py (`make sync-client`); do not edit.
"""`HubClient`: the SDK over one `httpx.Client`; everything but sending and sleeping
comes from the I/O-free core in `_base`."""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

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

__all__ = ["HubClient"]

T = TypeVar("T")
R = TypeVar("R")
ReportLike = ReportIn | Mapping[str, Any]


class _Resource:
    def __init__(self, client: HubClient) -> None:
        self._client = client


class Reports(_Resource):
    """`/v1/reports`: submit hash-only reports and read your own (hotline)."""

    def submit(self, report: ReportLike) -> SubmittedReport:
        """One report; `.created` is False when it replays an earlier `reference`."""
        return self._client._request(_base.submit_report(report))

    def submit_batch(self, reports: Iterable[ReportLike]) -> list[SubmittedReport | RejectedReport]:
        """Up to 1000 reports in one call; a result per report, in order."""
        return self._client._request(_base.submit_batch(reports))

    def send_batch(self, reports: Iterable[ReportLike]) -> SentBatch:
        """`submit_batch` in two halves, for pipelines: this one sends (with the retries)
        and raises what `submit_batch` raises for the batch as a whole; `.results()` of
        what it returns reads the answer, while the next batch is already on its way."""
        return self._client._request(_base.send_batch(reports))

    def submit_many(
        self, reports: Iterable[ReportLike], batch_size: int = MAX_BATCH
    ) -> Iterator[SubmittedReport | RejectedReport]:
        """Any number of reports, in batches; yields a result per report, in order."""
        return self._client._iterate(_base.submit_many(reports, batch_size))

    def get(self, report_id: str) -> ReportOut:
        return self._client._request(_base.get_report(report_id))

    def list(self, *, limit: int | None = None) -> Iterator[ReportOut]:
        """Your reports, oldest first, following `next` cursors (`limit` is the page size)."""
        return self._client._iterate(_base.paginate(_base.list_reports(limit)))


class Referrals(_Resource):
    """`/v1/referrals`: the cases handed to your hotline, and their status (hotline)."""

    def inbox(self, *, limit: int | None = None) -> Iterator[ReferralOut]:
        return self._client._iterate(_base.paginate(_base.inbox(limit)))

    def get(self, referral_id: str) -> ReferralOut:
        return self._client._request(_base.get_referral(referral_id))

    def set_status(
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
        return self._client._request(call)


class Cases(_Resource):
    """`/v1/cases`: a case's status, domestic status updates, the unassigned queue."""

    def get(self, case_id: str) -> CaseOut:
        return self._client._request(_base.get_case(case_id))

    def set_status(
        self,
        case_id: str,
        status: Status | str,
        occurred_at: datetime | str,
        *,
        webhook_id: str | None = None,
    ) -> CaseOut:
        """Status of a domestic case, by its reporter; signed when the client holds a key."""
        return self._client._request(
            _base.set_case_status(case_id, status, occurred_at, webhook_id)
        )

    def unassigned(self, *, limit: int | None = None) -> Iterator[CaseOut]:
        """Cases no member hotline serves, waiting for the admin (admin)."""
        return self._client._iterate(_base.paginate(_base.unassigned_cases(limit)))

    def route(self, case_id: str, hotline: str) -> CaseOut:
        """Routes an unassigned case to `hotline` by hand (admin)."""
        return self._client._request(_base.route_case(case_id, hotline))


class EventFeed(Iterator[EventOut]):
    """Events in hub order, across pages; `.cursor` is where to resume (`after=`): it
    moves past a page once all of its events have been handed out."""

    def __init__(self, client: HubClient, after: str | None, limit: int | None) -> None:
        self.cursor = after
        flow = _base.paginate(_base.events(after, limit), self._advance)
        self._events: Iterator[EventOut] = client._iterate(flow)

    def _advance(self, cursor: str) -> None:
        self.cursor = cursor

    def __next__(self) -> EventOut:
        return next(self._events)


class Events(_Resource):
    """`/v1/events`: the pull side of delivery (hotline)."""

    def pull(self, after: str | None = None, *, limit: int | None = None) -> EventFeed:
        """Events after cursor `after`, in hub order, until there are no more."""
        return EventFeed(self._client, after, limit)

    def page(self, after: str | None = None, *, limit: int | None = None) -> Page[EventOut]:
        """One page of events and the cursor to resume from (`next`)."""
        return self._client._request(_base.events(after, limit))

    def ack(self, ids: Iterable[str]) -> AckOut:
        """Marks your events delivered, so they are not pushed again; no ids, no request."""
        ids = list(ids)
        if not ids:
            return AckOut(acknowledged=0)
        return self._client._request(_base.ack_events(ids))


class Hotlines(_Resource):
    """`/v1/hotlines` (admin)."""

    def create(
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
        return self._client._request(_base.create_hotline(hotline))

    def get(self, hotline_id: str) -> HotlineOut:
        return self._client._request(_base.get_hotline(hotline_id))

    def update(
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
        return self._client._request(_base.update_hotline(hotline_id, patch))

    def list(self, *, limit: int | None = None) -> Iterator[HotlineOut]:
        return self._client._iterate(_base.paginate(_base.list_hotlines(limit)))


class Routes(_Resource):
    """`/v1/routes` (admin): the primary hotline of a country several hotlines serve."""

    def set(self, country: str, hotline: str) -> RouteOut:
        return self._client._request(_base.set_route(country, hotline))

    def list(self, *, limit: int | None = None) -> Iterator[RouteOut]:
        return self._client._iterate(_base.paginate(_base.list_routes(limit)))


class Tokens(_Resource):
    """`/v1/tokens` (admin)."""

    def create(
        self,
        principal: PrincipalKind | str,
        subject: str,
        *,
        expires_at: datetime | None = None,
    ) -> TokenCreated:
        """Issues a token; `.token` is the secret, shown this once. Never retried."""
        return self._client._request(_base.create_token(principal, subject, expires_at))

    def revoke(self, token_id: str) -> TokenOut:
        return self._client._request(_base.revoke_token(token_id))

    def list(self, *, limit: int | None = None) -> Iterator[TokenOut]:
        return self._client._iterate(_base.paginate(_base.list_tokens(limit)))


class Deliveries(_Resource):
    """`/v1/deliveries` (admin): event pushes, and those that could not be made."""

    def dead(self, *, limit: int | None = None) -> Iterator[DeliveryOut]:
        """Events whose push failed for good; they stay pullable by their hotline."""
        return self._client._iterate(_base.paginate(_base.deliveries("dead", limit)))

    def list(self, state: str = "dead", *, limit: int | None = None) -> Iterator[DeliveryOut]:
        """Pushes in `state`: `pending`, `delivered` or `dead`."""
        return self._client._iterate(_base.paginate(_base.deliveries(state, limit)))

    def retry(self, event_id: str) -> DeliveryOut:
        """Puts a dead event back in line for a push now."""
        return self._client._request(_base.retry_delivery(event_id))


class Log(_Resource):
    """`/v1/log`: the signed exchange log (auditor, hotline)."""

    def checkpoint(self) -> str:
        """The latest signed checkpoint, as signed-note text (not verified here)."""
        return self._client._request(_base.checkpoint())

    def entries(self, start: int, end: int) -> Iterator[LogEntry]:
        """Entries [start, end), fetched 1000 at a time."""
        return self._client._iterate(_base.entries(start, end))

    def inclusion_proof(
        self, tree_size: int, *, index: int | None = None, leaf_hash: bytes | str | None = None
    ) -> InclusionProof:
        return self._client._request(_base.inclusion_proof(tree_size, index, leaf_hash))

    def consistency_proof(self, first: int, second: int) -> ConsistencyProof:
        return self._client._request(_base.consistency_proof(first, second))

    def verify(
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
        return self._client._drive(flow)


class Lists(_Resource):
    """Hash lists of known content (admin): create, import in versions, retract."""

    def create(self, list_id: str, *, name: str, source: str) -> ListOut:
        body = ListIn.model_validate({"id": list_id, "name": name, "source": source})
        return self._client._request(_base.create_list(body))

    def get(self, list_id: str) -> ListOut:
        return self._client._request(_base.get_list(list_id))

    def list(self, *, limit: int | None = None) -> Iterator[ListOut]:
        return self._client._iterate(_base.paginate(_base.list_lists(limit)))

    def open_version(self, list_id: str) -> VersionOut:
        return self._client._request(_base.open_version(list_id))

    def version(self, list_id: str, version: int) -> VersionOut:
        return self._client._request(_base.get_version(list_id, version))

    def import_part(
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
        return self._client._request(call)

    def publish(self, list_id: str, version: int) -> VersionOut:
        return self._client._request(_base.publish_version(list_id, version))

    def retract_version(self, list_id: str, version: int) -> VersionOut:
        return self._client._request(_base.retract_version(list_id, version))

    def retract(self, list_id: str, entries: Iterable[Mapping[str, str]]) -> RetractOut:
        return self._client._request(_base.retract_values(list_id, entries))


class HubClient:
    """The hub's API over one `httpx.Client`; use it as a context manager.

    >>> with HubClient("https://hub.example.org", token) as hub:
    ...     hub.reports.submit(report)
    """

    def __init__(
        self,
        base_url: str | httpx.URL,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = _base.DEFAULT_TIMEOUT,
        max_retries: int = _base.DEFAULT_MAX_RETRIES,
        retry_backoff: float = _base.DEFAULT_BACKOFF,
        transport: httpx.BaseTransport | None = None,
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
        self._http = httpx.Client(
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
        return f"HubClient({str(self.base_url)!r})"  # never the token

    def stats(self) -> StatsOut:
        """Counts by country, hotline and status, and the timings (admin; docs/stats.md)."""
        return self._request(_base.stats())

    def keys(self) -> KeySet:
        """The hub's public keys, current and retired (no token needed)."""
        return self._request(_base.keys())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # The only code that differs between the two clients: sending, sleeping, driving flows.

    def _request(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            request = self._base.build_request(call)
            try:
                response = self._http.send(request)
            except httpx.TransportError as error:
                delay = self._base.retry_delay(call, attempt, error=error)
                if delay is None:
                    raise self._base.network_error(call, error) from error
            else:
                delay = self._base.retry_delay(call, attempt, response=response)
                if delay is None:
                    return self._base.finish(call, response)
                response.close()
            time.sleep(delay)
            attempt += 1

    def _iterate(self, flow: Flow[Any]) -> Iterator[Any]:
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
                value = self._request(step)
            except Exception as failure:
                error = failure

    def _drive(self, flow: Flow[R]) -> R:
        """What `flow` returns, once it has run to its end (its items are dropped)."""
        result: list[R] = []

        def keep_result() -> Flow[None]:
            result.append((yield from flow))

        for _ in self._iterate(keep_result()):
            pass
        return result[0]
