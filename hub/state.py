"""Everything a running hub holds for its lifetime, built once from the settings.

Routers reach it through `hub.deps`; tests build one to call services directly.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from hub.db import Database
from hub.delivery.targets import webhook_checker
from hub.geo.country import CountryLookup, open_country_db
from hub.geo.resolver import HostResolver, StaticHosts
from hub.matching.service import PdqIndex
from hub.ratelimit import RateLimiter
from hub.reports.service import Intake
from hub.settings import Settings


@dataclass
class HubState:
    settings: Settings
    database: Database
    intake: Intake
    rate_limiter: RateLimiter
    webhook_check: Callable[[str], str | None]
    admin_token_hash: str | None = None
    extras: dict[str, object] = field(default_factory=dict)


def build_state(settings: Settings) -> HubState:
    from hub.auth.service import hash_token

    static_hosts = StaticHosts.from_file(settings.static_hosts) if settings.static_hosts else None
    countries: CountryLookup = open_country_db(settings.geoip_db)
    database = Database(settings)
    intake = Intake(
        resolver=HostResolver(static_hosts, timeout=settings.dns_timeout),
        countries=countries,
        pdq_index=PdqIndex(database),
        pdq_threshold=settings.pdq_threshold,
    )
    admin = settings.admin_token.get_secret_value() if settings.admin_token else None
    return HubState(
        settings=settings,
        database=database,
        intake=intake,
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        webhook_check=webhook_checker(settings.allow_private_webhooks),
        admin_token_hash=hash_token(admin) if admin else None,
    )
