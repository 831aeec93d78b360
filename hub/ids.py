"""Opaque, prefixed, time-ordered identifiers (`rpt_…`, `cas_…`, `ref_…`).

48 bits of milliseconds then 80 random bits, Crockford base32: sortable and unguessable.
"""

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# Two characters per 10 bits: a report batch makes thousands of ids, and a loop of 26
# character steps per id cost more than the rest of making it.
_PAIRS = [first + second for first in _ALPHABET for second in _ALPHABET]
_SHIFTS = range(120, -1, -10)


def new_id(prefix: str) -> str:
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    # 130 bits in 26 characters, the top two always zero (the first character is 0-3).
    return f"{prefix}_{''.join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])}"
