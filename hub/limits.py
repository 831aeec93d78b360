"""ASGI middleware for the body rules of docs/protocol.md section 3, applied before parsing.

A body must be JSON (else 415) and within its size (else 413, judged on Content-Length
first and on the bytes actually read after), so an oversized body is never parsed.
"""

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException

from hub.errors import HubError, TooLarge, UnsupportedMediaType
from hub.problems import problem_response

REPORT_BODY_LIMIT = 64 * 1024
BATCH_BODY_LIMIT = 8 * 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# A part of a hash list import is NDJSON or CSV and may hold millions of lines.
LIST_PART_BODY_LIMIT = 4 * 1024**3
_LIST_PART = re.compile(r"^/v1/lists/[^/]+/versions/[^/]+/entries$")
# Up to 10,000 retracted values (about 90 bytes each) do not fit in 64 KiB.
_RETRACTIONS = re.compile(r"^/v1/lists/[^/]+/retractions$")
LIST_MEDIA_TYPES = frozenset({"application/x-ndjson", "text/csv"})

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _limit_for(path: str) -> int:
    if _LIST_PART.match(path):
        return LIST_PART_BODY_LIMIT
    if path.endswith(":batch") or _RETRACTIONS.match(path):
        return BATCH_BODY_LIMIT
    return REPORT_BODY_LIMIT


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(content_type: str) -> bool:
    media = _media(content_type)
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _accepted(path: str, content_type: str) -> bool:
    """JSON everywhere; the console's HTML forms post urlencoded bodies to /console/ only."""
    if path.startswith("/console/"):
        return _media(content_type) == "application/x-www-form-urlencoded"
    return _is_json(content_type)


class BodyLimits:
    """Rejects non-JSON and oversized bodies before any route reads them."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit = _limit_for(scope["path"])
        length = headers.get("content-length")
        has_body = "transfer-encoding" in headers or length not in (None, "0")
        error: HubError | None = None
        media = headers.get("content-type", "")
        lines = _LIST_PART.match(scope["path"]) is not None and _media(media) in LIST_MEDIA_TYPES
        if has_body and not lines and not _accepted(scope["path"], media):
            error = UnsupportedMediaType(f"got '{headers.get('content-type', 'no Content-Type')}'")
        elif length is not None and (not length.isdigit() or int(length) > limit):
            error = TooLarge(f"this body may be at most {limit} bytes")
        if error is not None:
            await problem_response(error)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI passes HTTP exceptions from body reading through to the handlers.
                raise HTTPException(413, f"this body may be at most {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)
