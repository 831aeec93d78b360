"""Delivery: the transactional outbox, signed webhook pushes, the pull feed, the worker."""
