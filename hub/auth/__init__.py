"""Principals and bearer tokens (docs/protocol.md section 2)."""
