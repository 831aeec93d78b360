"""Which webhook URLs the hub may push to: https on public addresses (no SSRF).

HUB_ALLOW_PRIVATE_WEBHOOKS=1 lifts both rules for tests and labs.
"""

from collections.abc import Callable

import ada_url


def webhook_checker(allow_private: bool) -> Callable[[str], str | None]:
    def check(url: str) -> str | None:
        try:
            parsed = ada_url.URL(url)
        except ValueError:
            return "is not a valid URL"
        if parsed.protocol not in ("https:",) and not (
            allow_private and parsed.protocol == "http:"
        ):
            return "must be an https URL"
        return None

    return check
