"""Reports: intake, idempotency and cases keyed by the normalised URL;
urls.py turns a reported URL into that case key."""
