"""RFC 8785 (JCS) canonical JSON, fast: the stdlib encoder where it gives the same bytes.

For objects without floats whose keys are ASCII, sorted `json.dumps` output with no
whitespace and no ASCII escaping is byte-for-byte JCS (RFC 8785 sections 3.2.2-3.2.3);
anything else goes to the reference `rfc8785` package.
"""

import json
from typing import Any

import rfc8785

_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


def _plain(value: Any) -> bool:
    """True when the stdlib encoding of `value` is already canonical."""
    if isinstance(value, str | bool | int) or value is None:
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False  # floats need ECMAScript number formatting


def canonical_json(value: Any) -> bytes:
    if _plain(value):
        return _encode(value).encode("utf-8")
    return rfc8785.dumps(value)
