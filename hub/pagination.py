"""Cursor pages `{"items": [...], "next": cursor|null}`; the cursor is the last item's id."""

from collections.abc import Sequence
from typing import Any


def page(items: Sequence[Any], limit: int, cursor_of: Any = None) -> dict[str, Any]:
    last = items[-1] if len(items) == limit and items else None
    if last is None:
        return {"items": list(items), "next": None}
    cursor = cursor_of(last) if cursor_of else (last["id"] if isinstance(last, dict) else last.id)
    return {"items": list(items), "next": cursor}
