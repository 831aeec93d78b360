"""Duplicate JSON keys are refused (422 naming the field), not settled by the last one;
so is a NUL character in a query parameter (422 naming it); an id in the path holding one
names nothing (404).

Python's JSON parser keeps the last of two equal keys silently; this dependency reads the
same bytes again, keeping every pair, and names the first key that appears twice. No
path or query parameter of the protocol holds a NUL, and PostgreSQL text cannot: refused
at the edge, it never reaches a query (where it was a 500). Body fields refuse it by
their own patterns, so that a bad item of a batch is answered on its own.
"""

import json
from typing import Any

from fastapi import Request

from hub.errors import Invalid, NotFound, field_error


class _Pairs(list[tuple[str, Any]]):
    """An object as its list of (key, value) pairs, in order, duplicates kept."""


NUL = "\x00"
Found = tuple[list[str | int], str]


def _find_problem(value: Any, loc: list[str | int]) -> Found | None:
    """The first duplicate key in a parsed document, with its place."""
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, _ in value:
            if key in seen:
                return [*loc, key], "appears more than once in this object"
            seen.add(key)
        for key, item in value:
            found = _find_problem(item, [*loc, key])
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_problem(item, [*loc, index])
            if found is not None:
                return found
    return None


async def check_raw_input(request: Request) -> None:
    if any(NUL in str(value) for value in request.path_params.values()):
        raise NotFound("no object has an id with a NUL character")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise Invalid([field_error(["query", name], "holds a NUL character")])
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    raw = await request.body()
    if not raw:
        return
    try:
        document = json.loads(raw, object_pairs_hook=_Pairs)
    except ValueError:
        return  # not JSON: FastAPI has answered 400 already, or will
    found = _find_problem(document, ["body"])
    if found is not None:
        raise Invalid([field_error(*found)])
