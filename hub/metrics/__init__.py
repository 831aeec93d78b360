"""Metrics and health: hub-wide counters in the database, the Prometheus scrape, readiness."""
