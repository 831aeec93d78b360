"""Identifiers read back as the time they were made and 80 random bits, and sort by time."""

import time

from hub.ids import new_id

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _value(identifier: str) -> int:
    value = 0
    for char in identifier.split("_", 1)[1]:
        value = value * 32 + _ALPHABET.index(char)
    return value


def test_an_id_holds_the_millisecond_it_was_made_in_crockford_base32() -> None:
    before = time.time_ns() // 1_000_000
    identifier = new_id("rpt")
    after = time.time_ns() // 1_000_000
    prefix, body = identifier.split("_", 1)
    assert prefix == "rpt"
    assert len(body) == 26 and set(body) <= set(_ALPHABET)
    assert body[0] in "0123"  # 130 bits of characters for a 128-bit value
    assert before <= _value(identifier) >> 80 <= after


def test_ids_sort_by_time_and_do_not_repeat() -> None:
    made = []
    for _ in range(5):
        made.extend(new_id("cas") for _ in range(1000))
        time.sleep(0.002)
    assert len(set(made)) == len(made)
    stamps = [_value(identifier) >> 80 for identifier in made]
    assert stamps == sorted(stamps)
    # Ids of different milliseconds sort as their times do.
    pairs = zip(made, made[1:], stamps, stamps[1:], strict=False)
    assert all(a < b for a, b, x, y in pairs if x < y)
    # The random part differs between ids made in the same millisecond.
    assert len({_value(identifier) & (2**80 - 1) for identifier in made}) == len(made)
