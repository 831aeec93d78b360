"""Retention: erasing what identifies material from cases closed long ago."""
