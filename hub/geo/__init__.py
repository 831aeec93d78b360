"""Geo: where a reported URL is hosted (hosting_ip, static hosts or DNS, never a connection)
and which country that address is in (embedded iptocc data or an operator's MaxMind DB)."""
