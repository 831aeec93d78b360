"""RFC 8785 (JCS) canonical JSON, fast: the C encoder where it gives the same bytes.

Sorted, compact `json.dumps` is JCS for objects without floats, integers beyond 2^53
or non-ASCII keys (where UTF-16 and code point key order agree), since both escape
strings alike; anything else goes to the reference `rfc8785` package.
"""

import json
from typing import Any

import rfc8785

_INT_LIMIT = 2**53 - 1


def _json_is_jcs(value: Any) -> bool:
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_INT_LIMIT <= value <= _INT_LIMIT
    if isinstance(value, list | tuple):
        return all(_json_is_jcs(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and key.isascii() for key in value) and all(
            _json_is_jcs(item) for item in value.values()
        )
    return False


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of `value`; raises `rfc8785.CanonicalizationError` where JCS does."""
    if _json_is_jcs(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 reject it the way it always does
    return rfc8785.dumps(value)
