"""Principals and bearer tokens (PROTOCOL.md section 2)."""
