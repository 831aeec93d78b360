"""The Hotline Exchange Hub service: hash-only intake, deduplication, routing,
signed referrals and a verifiable exchange log."""
