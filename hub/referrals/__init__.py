"""Referrals: a case handed to the hosting country's hotline, and its status graph."""
