"""Fixtures of the operations tests: the status tests' hotlines (tests/referrals/exchange.py)."""

from tests.referrals.exchange import hotlines

__all__ = ["hotlines"]
