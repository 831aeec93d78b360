"""Statistics for the admin: counts and timings by hosting country and hotline."""
