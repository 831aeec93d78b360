"""Fixtures of the status tests (defined in tests/referrals/exchange.py)."""

from tests.referrals.exchange import hotlines, nl_key, recorded, signed_hotlines

__all__ = ["hotlines", "nl_key", "recorded", "signed_hotlines"]
