"""Matching: which reported content the hub has seen before, by exact hash identity
and by PDQ Hamming distance (pdq.py)."""
