"""The I/O-free core of HubClient and AsyncHubClient: every API call as a `Call` (the
request to build, how to read the answer, whether a retry is safe), retries and flows."""

from __future__ import annotations

import base64
import json
import random
import ssl
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Generic, TypeAlias, TypeVar, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Discriminator, Tag, TypeAdapter, ValidationError

from clients import errors
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
from clients._signatures import SigningKey, load_signing_key, sign
from schemas.common import FieldError, Page, format_timestamp
from schemas.hotlines import (
    HotlineIn,
    HotlineOut,
    HotlinePatch,
    PrincipalKind,
    RouteIn,
    RouteOut,
    TokenCreated,
    TokenIn,
    TokenOut,
)
from schemas.lists import ListIn, ListOut, PartOut, RetractIn, RetractOut, VersionOut
from schemas.log import LogEntries
from schemas.referrals import CaseOut, ReferralOut, RouteCaseIn, Status, StatusIn
from schemas.reports import MAX_BATCH, ReportIn, ReportOut
from schemas.stats import StatsOut

T = TypeVar("T")
R = TypeVar("R")

VERSION = "0.1.0"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF = 0.5
MAX_BACKOFF = 30.0
# A Retry-After longer than this is not waited out: the call fails with RateLimited.
MAX_RETRY_AFTER = 120.0
ENTRIES_PER_CALL = 1000


class _Unset:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Any = _Unset()


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request to the hub and how to read its answer; no I/O happens here."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    body: Any = None
    retry: bool = False
    signed: bool = False
    webhook_id: str | None = None
    authenticated: bool = True
    # A body of bytes is sent as is, with this media type (list imports: NDJSON or CSV).
    content_type: str | None = None

    def with_params(self, **params: Any) -> Call[T]:
        return replace(self, params={**(self.params or {}), **params})

    def with_parse(self, parse: Callable[[httpx.Response], R]) -> Call[R]:
        """The same request, its answer read by `parse`."""
        return cast("Call[R]", replace(cast("Call[Any]", self), parse=parse))


@dataclass(frozen=True)
class Emit(Generic[T]):
    """A value a flow hands to its caller (an item of an iterator)."""

    value: T


Step: TypeAlias = Call[Any] | Emit[Any]
Flow: TypeAlias = Generator[Step, Any, R]
"""A multi-call operation: it yields calls (and is sent their results) and items."""


@cache
def _default_tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def tls_context(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext | str | bool:
    """`verify` for httpx; the default context is built once, not once per client."""
    return _default_tls() if verify is True else verify


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class BaseClient:
    """Configuration and the pure parts of sending: requests, retry delays, answers."""

    def __init__(
        self,
        base_url: str | httpx.URL,
        token: str | None = None,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_backoff: float = DEFAULT_BACKOFF,
        signing_key: SigningKey | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        url = httpx.URL(str(base_url))
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"base_url must be an http(s) URL, not {str(base_url)!r}")
        self.base_url = url
        self._prefix = url.raw_path.split(b"?", 1)[0].rstrip(b"/")
        self.token = token
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.signing_key = load_signing_key(signing_key) if signing_key is not None else None
        self.headers = {
            "Accept": "application/json",
            "User-Agent": f"hotline-hub-sdk/{VERSION} httpx/{httpx.__version__}",
            **(headers or {}),
        }

    def build_request(self, call: Call[Any]) -> httpx.Request:
        """The request for one attempt of `call` (signed afresh when it is signed)."""
        headers = dict(self.headers)
        if call.authenticated and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        content = None
        if isinstance(call.body, bytes):
            content = call.body
            headers["Content-Type"] = call.content_type or "application/octet-stream"
        elif call.body is not None:
            content = encode(call.body)
            headers["Content-Type"] = "application/json"
            if call.signed and self.signing_key is not None:
                message_id = call.webhook_id or f"msg_{uuid.uuid4().hex}"
                headers.update(sign(self.signing_key, message_id, content))
        params = {k: v for k, v in (call.params or {}).items() if v is not None}
        url = self.base_url.copy_with(raw_path=self._prefix + call.path.encode(), query=None)
        return httpx.Request(call.method, url, params=params, headers=headers, content=content)

    def retry_delay(
        self,
        call: Call[Any],
        attempt: int,
        *,
        response: httpx.Response | None = None,
        error: Exception | None = None,
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when not to retry."""
        if not call.retry or attempt >= self.max_retries:
            return None
        if error is not None:
            if isinstance(error, httpx.TransportError) and not isinstance(
                error, httpx.UnsupportedProtocol
            ):
                return self._backoff(attempt)
            return None
        assert response is not None
        if response.status_code != 429 and response.status_code < 500:
            return None
        if response.status_code == 501:
            return None
        wait = errors.parse_retry_after(response.headers.get("retry-after"))
        if wait is None:
            return self._backoff(attempt)
        return wait if wait <= MAX_RETRY_AFTER else None

    def _backoff(self, attempt: int) -> float:
        # Exponential, with jitter so that many clients failing together do not return together.
        ceiling = min(MAX_BACKOFF, self.retry_backoff * 2.0**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    @staticmethod
    def finish(call: Call[T], response: httpx.Response) -> T:
        """The answer of `call` as a model; a problem as the matching `errors` exception."""
        if response.is_error:
            raise errors.from_response(response)
        try:
            return call.parse(response)
        except (ValueError, ValidationError) as error:
            raise errors.HubError(
                f"unexpected answer to {call.method} {call.path}: {error}",
                status=response.status_code,
                response=response,
            ) from error

    @staticmethod
    def network_error(call: Call[Any], error: Exception) -> errors.NetworkError:
        return errors.NetworkError(f"{call.method} {call.path}: {type(error).__name__}: {error}")


# Answer readers ---------------------------------------------------------------------


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def _model(kind: type[T]) -> Callable[[httpx.Response], T]:
    adapter: TypeAdapter[T] = _adapter(cast(Any, kind))

    def parse(response: httpx.Response) -> T:
        return adapter.validate_json(response.content)

    return parse


def _page(kind: type[T]) -> Callable[[httpx.Response], Page[T]]:
    return _model(Page[kind])  # type: ignore[valid-type]


def _text(response: httpx.Response) -> str:
    return response.text


def _submitted(response: httpx.Response) -> SubmittedReport:
    body = json.loads(response.content)
    body["status"] = response.status_code
    return SubmittedReport.model_validate(body)


def _item_kind(item: Any) -> str:
    return "report" if isinstance(item, dict) and "id" in item else "problem"


_BatchItem = Annotated[
    Annotated[SubmittedReport, Tag("report")] | Annotated[RejectedReport, Tag("problem")],
    Discriminator(_item_kind),
]
_BatchResults = _adapter(dict[str, list[_BatchItem]])


def _batch(references: list[str | None]) -> Callable[[httpx.Response], list[Any]]:
    def parse(response: httpx.Response) -> list[SubmittedReport | RejectedReport]:
        results: list[SubmittedReport | RejectedReport]
        results = _BatchResults.validate_json(response.content)["results"]
        if len(results) != len(references):
            raise ValueError(f"{len(results)} results for {len(references)} reports")
        for index, (result, reference) in enumerate(zip(results, references, strict=True)):
            if isinstance(result, RejectedReport):
                result.index = index
                result.reference = reference
                result.errors = _within_report(result.errors, index)
        return results

    return parse


def _within_report(fields: list[FieldError] | None, index: int) -> list[FieldError] | None:
    """`loc` as for one report (`["body", "site_type"]`), not `["body", "reports", 3, …]`."""
    if fields is None:
        return None
    prefix: list[str | int] = ["body", "reports", index]
    return [
        FieldError(loc=["body", *f.loc[3:]], msg=f.msg) if f.loc[:3] == prefix else f
        for f in fields
    ]


def _entries(response: httpx.Response) -> list[LogEntry]:
    return LogEntries.model_validate_json(response.content).items


# Request bodies ---------------------------------------------------------------------


def _path_id(value: str) -> str:
    return quote(value, safe="")


def report_body(report: ReportIn | Mapping[str, Any]) -> dict[str, Any]:
    """A report as sent: a model is dumped; a mapping goes as it is, the hub judges it."""
    if isinstance(report, BaseModel):
        return report.model_dump(mode="json", exclude_none=True)
    return dict(report)


def _timestamp(value: datetime | str) -> str:
    return format_timestamp(value) if isinstance(value, datetime) else value


def status_body(
    status: Status | str,
    occurred_at: datetime | str,
    country: str | None,
    target: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`target` names the object ({"referral": id} or {"case": id}); the hub requires it in
    a signed update, so the signature binds the update to that object."""
    body: dict[str, Any] = {"status": str(status), "occurred_at": _timestamp(occurred_at)}
    body.update(target or {})
    if country is not None:
        body["country"] = country
    # Checked here so a wrong combination fails before anything is signed or sent.
    try:
        StatusIn.model_validate(body)
    except ValidationError as error:
        raise errors.InvalidInput.from_validation(error, ["body"]) from None
    return body


# Calls ------------------------------------------------------------------------------


def submit_report(report: ReportIn | Mapping[str, Any]) -> Call[SubmittedReport]:
    # Safe to retry: `reference` is the idempotency key, a replay answers 200.
    return Call("POST", "/v1/reports", _submitted, body=report_body(report), retry=True)


def submit_batch(
    reports: Iterable[ReportIn | Mapping[str, Any]],
) -> Call[list[SubmittedReport | RejectedReport]]:
    bodies = [report_body(report) for report in reports]
    if not 1 <= len(bodies) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} reports, not {len(bodies)}")
    references = [
        b.get("reference") if isinstance(b.get("reference"), str) else None for b in bodies
    ]
    return Call(
        "POST", "/v1/reports:batch", _batch(references), body={"reports": bodies}, retry=True
    )


class SentBatch:
    """A batch of reports the hub has answered, its answer not read yet; what
    `reports.send_batch` returns, so that a pipeline sends the next batch first."""

    def __init__(
        self, call: Call[list[SubmittedReport | RejectedReport]], response: httpx.Response
    ) -> None:
        self._call = call
        self._response = response

    def results(self) -> list[SubmittedReport | RejectedReport]:
        """A result per report, in order, as `submit_batch` returns them; an answer that
        is not one raises `errors.HubError`."""
        return BaseClient.finish(self._call, self._response)


def send_batch(reports: Iterable[ReportIn | Mapping[str, Any]]) -> Call[SentBatch]:
    """`submit_batch`, its answer kept unread (in `SentBatch`) for the caller to read."""
    call = submit_batch(reports)
    return call.with_parse(lambda response: SentBatch(call, response))


def submit_many(
    reports: Iterable[ReportIn | Mapping[str, Any]], batch_size: int = MAX_BATCH
) -> Flow[None]:
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
    chunk: list[ReportIn | Mapping[str, Any]] = []
    offset = 0
    for report in reports:
        chunk.append(report)
        if len(chunk) == batch_size:
            offset = yield from _submit_chunk(chunk, offset)
            chunk = []
    if chunk:
        yield from _submit_chunk(chunk, offset)


def _submit_chunk(chunk: list[Any], offset: int) -> Flow[int]:
    results = yield submit_batch(chunk)
    for result in results:
        if isinstance(result, RejectedReport):
            result.index += offset
        yield Emit(result)
    return offset + len(chunk)


def get_report(report_id: str) -> Call[ReportOut]:
    return Call("GET", f"/v1/reports/{_path_id(report_id)}", _model(ReportOut), retry=True)


def list_reports(limit: int | None = None) -> Call[Page[ReportOut]]:
    return Call("GET", "/v1/reports", _page(ReportOut), {"limit": limit}, retry=True)


def inbox(limit: int | None = None) -> Call[Page[ReferralOut]]:
    return Call("GET", "/v1/referrals", _page(ReferralOut), {"limit": limit}, retry=True)


def get_referral(referral_id: str) -> Call[ReferralOut]:
    path = f"/v1/referrals/{_path_id(referral_id)}"
    return Call("GET", path, _model(ReferralOut), retry=True)


def set_referral_status(
    referral_id: str,
    status: Status | str,
    occurred_at: datetime | str,
    country: str | None = None,
    webhook_id: str | None = None,
) -> Call[ReferralOut]:
    # One webhook-id for every attempt: a retry is the same message, signed again.
    return Call(
        "POST",
        f"/v1/referrals/{_path_id(referral_id)}/status",
        _model(ReferralOut),
        body=status_body(status, occurred_at, country, {"referral": referral_id}),
        retry=True,
        signed=True,
        webhook_id=webhook_id or f"msg_{uuid.uuid4().hex}",
    )


def get_case(case_id: str) -> Call[CaseOut]:
    return Call("GET", f"/v1/cases/{_path_id(case_id)}", _model(CaseOut), retry=True)


def set_case_status(
    case_id: str,
    status: Status | str,
    occurred_at: datetime | str,
    webhook_id: str | None = None,
) -> Call[CaseOut]:
    return Call(
        "POST",
        f"/v1/cases/{_path_id(case_id)}/status",
        _model(CaseOut),
        body=status_body(status, occurred_at, None, {"case": case_id}),
        retry=True,
        signed=True,
        webhook_id=webhook_id or f"msg_{uuid.uuid4().hex}",
    )


def unassigned_cases(limit: int | None = None) -> Call[Page[CaseOut]]:
    params = {"routing": "unassigned", "limit": limit}
    return Call("GET", "/v1/cases", _page(CaseOut), params, retry=True)


def route_case(case_id: str, hotline: str) -> Call[CaseOut]:
    body = RouteCaseIn(hotline=hotline).model_dump(mode="json")
    return Call("POST", f"/v1/cases/{_path_id(case_id)}/route", _model(CaseOut), body=body)


def events(after: str | None = None, limit: int | None = None) -> Call[Page[EventOut]]:
    params = {"after": after, "limit": limit}
    return Call("GET", "/v1/events", _page(EventOut), params, retry=True)


def ack_events(ids: Iterable[str]) -> Call[AckOut]:
    return Call("POST", "/v1/events/ack", _model(AckOut), body={"ids": list(ids)}, retry=True)


def create_hotline(hotline: HotlineIn) -> Call[HotlineOut]:
    body = hotline.model_dump(mode="json")
    return Call("POST", "/v1/hotlines", _model(HotlineOut), body=body)


def get_hotline(hotline_id: str) -> Call[HotlineOut]:
    path = f"/v1/hotlines/{_path_id(hotline_id)}"
    return Call("GET", path, _model(HotlineOut), retry=True)


def list_hotlines(limit: int | None = None) -> Call[Page[HotlineOut]]:
    return Call("GET", "/v1/hotlines", _page(HotlineOut), {"limit": limit}, retry=True)


def update_hotline(hotline_id: str, patch: HotlinePatch) -> Call[HotlineOut]:
    body = patch.model_dump(mode="json", exclude_unset=True)
    return Call("PATCH", f"/v1/hotlines/{_path_id(hotline_id)}", _model(HotlineOut), body=body)


def set_route(country: str, hotline: str) -> Call[RouteOut]:
    body = RouteIn(hotline=hotline).model_dump(mode="json")
    path = f"/v1/routes/{_path_id(country)}"
    return Call("PUT", path, _model(RouteOut), body=body, retry=True)


def list_routes(limit: int | None = None) -> Call[Page[RouteOut]]:
    return Call("GET", "/v1/routes", _page(RouteOut), {"limit": limit}, retry=True)


def create_token(
    principal: PrincipalKind | str, subject: str, expires_at: datetime | None = None
) -> Call[TokenCreated]:
    body = TokenIn(principal=principal, subject=subject, expires_at=expires_at)  # type: ignore[arg-type]
    # Never retried: a second attempt would issue a second live token.
    return Call(
        "POST", "/v1/tokens", _model(TokenCreated), body=body.model_dump(mode="json"), retry=False
    )


def list_tokens(limit: int | None = None) -> Call[Page[TokenOut]]:
    return Call("GET", "/v1/tokens", _page(TokenOut), {"limit": limit}, retry=True)


def revoke_token(token_id: str) -> Call[TokenOut]:
    return Call("DELETE", f"/v1/tokens/{_path_id(token_id)}", _model(TokenOut), retry=True)


def deliveries(state: str = "dead", limit: int | None = None) -> Call[Page[DeliveryOut]]:
    params = {"state": state, "limit": limit}
    return Call("GET", "/v1/deliveries", _page(DeliveryOut), params, retry=True)


def retry_delivery(event_id: str) -> Call[DeliveryOut]:
    path = f"/v1/deliveries/{_path_id(event_id)}/retry"
    return Call("POST", path, _model(DeliveryOut))


def stats() -> Call[StatsOut]:
    return Call("GET", "/v1/stats", _model(StatsOut), retry=True)


def keys() -> Call[KeySet]:
    return Call("GET", "/v1/keys", _model(KeySet), retry=True, authenticated=False)


def checkpoint() -> Call[str]:
    return Call("GET", "/v1/log/checkpoint", _text, retry=True)


def log_entries(start: int, end: int) -> Call[list[LogEntry]]:
    if not 0 <= start < end:
        raise ValueError(f"no entries in [{start}, {end})")
    params = {"start": start, "end": end}
    return Call("GET", "/v1/log/entries", _entries, params, retry=True)


def inclusion_proof(
    tree_size: int, index: int | None = None, leaf_hash: bytes | str | None = None
) -> Call[InclusionProof]:
    if (index is None) == (leaf_hash is None):
        raise ValueError("give either index or leaf_hash")
    if isinstance(leaf_hash, bytes):
        leaf_hash = base64.b64encode(leaf_hash).decode()
    params = {"index": index, "leaf_hash": leaf_hash, "tree_size": tree_size}
    return Call("GET", "/v1/log/proof/inclusion", _model(InclusionProof), params, retry=True)


def consistency_proof(first: int, second: int) -> Call[ConsistencyProof]:
    params = {"first": first, "second": second}
    return Call("GET", "/v1/log/proof/consistency", _model(ConsistencyProof), params, retry=True)


def entries(start: int, end: int) -> Flow[None]:
    """Log entries [start, end), at most 1000 per call."""
    position = start
    while position < end:
        batch = yield log_entries(position, min(position + ENTRIES_PER_CALL, end))
        batch = [entry for entry in batch if position <= entry.index < end]
        if not batch or batch[0].index != position:
            raise errors.HubError(f"the log sent no entry at index {position}")
        for entry in batch:
            yield Emit(entry)
        position = batch[-1].index + 1


def paginate(call: Call[Page[T]], on_cursor: Callable[[str], None] | None = None) -> Flow[None]:
    """Every item of a list, page after page, following `next` cursors; `on_cursor` is
    told each cursor once the items before it have all been handed out."""
    while True:
        page = yield call
        for item in page.items:
            yield Emit(item)
        if not page.next:
            return
        if on_cursor is not None:
            on_cursor(page.next)
        call = call.with_params(after=page.next)


def hotline_patch(**changes: Any) -> HotlinePatch:
    return HotlinePatch(**{k: v for k, v in changes.items() if v is not NOT_GIVEN})


# Hash lists (admin) -------------------------------------------------------------------


def create_list(hash_list: ListIn) -> Call[ListOut]:
    return Call("POST", "/v1/lists", _model(ListOut), body=hash_list.model_dump(mode="json"))


def get_list(list_id: str) -> Call[ListOut]:
    return Call("GET", f"/v1/lists/{_path_id(list_id)}", _model(ListOut), retry=True)


def list_lists(limit: int | None = None) -> Call[Page[ListOut]]:
    return Call("GET", "/v1/lists", _page(ListOut), params={"limit": limit}, retry=True)


def open_version(list_id: str) -> Call[VersionOut]:
    return Call("POST", f"/v1/lists/{_path_id(list_id)}/versions", _model(VersionOut))


def get_version(list_id: str, version: int) -> Call[VersionOut]:
    path = f"/v1/lists/{_path_id(list_id)}/versions/{int(version)}"
    return Call("GET", path, _model(VersionOut), retry=True)


def import_part(
    list_id: str, version: int, part: int, first_line: int, lines: bytes, media_type: str
) -> Call[PartOut]:
    """One part of an import; safe to retry, as the hub takes a part number once."""
    return Call(
        "POST",
        f"/v1/lists/{_path_id(list_id)}/versions/{int(version)}/entries",
        _model(PartOut),
        params={"part": part, "first_line": first_line},
        body=lines,
        content_type=media_type,
        retry=True,
    )


def publish_version(list_id: str, version: int) -> Call[VersionOut]:
    path = f"/v1/lists/{_path_id(list_id)}/versions/{int(version)}:publish"
    return Call("POST", path, _model(VersionOut))


def retract_version(list_id: str, version: int) -> Call[VersionOut]:
    path = f"/v1/lists/{_path_id(list_id)}/versions/{int(version)}:retract"
    return Call("POST", path, _model(VersionOut))


def retract_values(list_id: str, entries: Iterable[Mapping[str, str]]) -> Call[RetractOut]:
    body = RetractIn.model_validate({"entries": list(entries)}).model_dump(mode="json")
    return Call("POST", f"/v1/lists/{_path_id(list_id)}/retractions", _model(RetractOut), body=body)
