"""Structured logs: one JSON object a line on stderr.

No line at any level names a URL, a content hash or free text: exceptions are logged as
their types and frames only, since their messages (a database's DETAIL) can quote data.
"""

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType

# uvicorn repeats its message with ANSI colour codes as `color_message`: never a field here.
_STANDARD = {*vars(logging.makeLogRecord({})), "color_message", "taskName"}
# SQLAlchemy logs statements and result rows when its logger is at INFO or DEBUG.
QUIET_LOGGERS = ("sqlalchemy",)


def describe_exception(exc: BaseException) -> str:
    """The exception chain as types and frames, without any exception's message."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # A SQLSTATE (psycopg's `sqlstate`) is a code, never data: kept for diagnosis.
        code = getattr(current, "sqlstate", None)
        suffix = f" (SQLSTATE {code})" if isinstance(code, str) else ""
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}{suffix}")
        lines.extend(_frames(current.__traceback__))
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("raised while handling:")
    return "\n".join(lines)


def _frames(tb: TracebackType | None) -> list[str]:
    return [
        f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(tb)
    ]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = describe_exception(record.exc_info[1])
        return json.dumps(entry, default=lambda value: type(value).__name__)


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
