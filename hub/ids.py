"""Opaque, prefixed, time-ordered identifiers (`rpt_…`, `cas_…`, `ref_…`).

48 bits of milliseconds then 80 random bits, Crockford base32: sortable and unguessable.
"""

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id(prefix: str) -> str:
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"
