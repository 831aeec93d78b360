"""Duplicate JSON keys are refused (422 naming the field), not settled by the last one.

Python's JSON parser keeps the last of two equal keys silently; this dependency reads the
same bytes again, keeping every pair, and names the first key that appears twice.
"""

import json
from typing import Any

from fastapi import Request

from hub.errors import Invalid, field_error


class _Pairs(list[tuple[str, Any]]):
    """An object as its list of (key, value) pairs, in order, duplicates kept."""


def _find_duplicate(value: Any, loc: list[str | int]) -> list[str | int] | None:
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, _ in value:
            if key in seen:
                return [*loc, key]
            seen.add(key)
        for key, item in value:
            found = _find_duplicate(item, [*loc, key])
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_duplicate(item, [*loc, index])
            if found is not None:
                return found
    return None


async def refuse_duplicate_keys(request: Request) -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    raw = await request.body()
    if not raw:
        return
    try:
        document = json.loads(raw, object_pairs_hook=_Pairs)
    except ValueError:
        return  # not JSON: FastAPI has answered 400 already, or will
    duplicate = _find_duplicate(document, ["body"])
    if duplicate is not None:
        raise Invalid([field_error(duplicate, "appears more than once in this object")])
