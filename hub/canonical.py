"""RFC 8785 (JCS) canonical JSON, fast: orjson where it gives the same bytes.

orjson with sorted keys is JCS for objects without floats, integers beyond 2^53 or
non-ASCII keys (where UTF-16 and code point key order agree): it escapes strings as
JCS does (tests/unit/test_canonical.py checks every code point against `rfc8785`);
anything else goes to the reference `rfc8785` package.
"""

from typing import Any

import orjson
import rfc8785

_INT_LIMIT = 2**53 - 1


def _json_is_jcs(value: Any) -> bool:
    # Exact types, not isinstance: a subclass (an enum, say) may encode differently, so it
    # goes to rfc8785. Strings, the most common values, are checked inline: this runs for
    # every leaf and event the hub writes.
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_INT_LIMIT <= value <= _INT_LIMIT
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return False
            if type(item) is not str and item is not None and not _json_is_jcs(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) is str or _json_is_jcs(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of `value`; raises `rfc8785.CanonicalizationError` where JCS does."""
    if _json_is_jcs(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: let rfc8785 reject it the way it always does
    return rfc8785.dumps(value)
