"""Everything a running hub holds for its lifetime, built once from the settings.

Routers reach it through `hub.deps`; tests build one to call services directly.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from hub.db import Database
from hub.delivery.signer import attach_keyring
from hub.delivery.targets import WebhookTargets
from hub.geo.cdn import open_hosting_networks
from hub.geo.country import CountryLookup, open_country_db
from hub.geo.resolver import HostResolver, StaticHosts
from hub.lists.lookup import ListPdqIndex
from hub.matching.startup import SnapshotPdqIndex
from hub.metrics.counters import Tally
from hub.pdq import snapshot
from hub.ratelimit import RateLimiter
from hub.reports.groupcommit import GroupCommit
from hub.reports.service import Intake
from hub.settings import Settings
from hub.signing import HubKey, KeyRing


@dataclass
class HubState:
    settings: Settings
    database: Database
    intake: Intake
    group_commit: GroupCommit
    rate_limiter: RateLimiter
    auth_failures: RateLimiter
    webhook_check: Callable[[str], str | None]
    keyring: KeyRing
    admin_token_hash: str | None = None
    # Counts not yet added to the shared metric counters (hub/metrics).
    tally: Tally = field(default_factory=Tally)

    def current_key(self) -> HubKey:
        """The key to sign with now: re-read from the key file after a rotation."""
        return self.keyring.current()


def build_state(settings: Settings) -> HubState:
    from hub.auth.service import hash_token

    static_hosts = StaticHosts.from_file(settings.static_hosts) if settings.static_hosts else None
    countries: CountryLookup = open_country_db(settings.geoip_db)
    database = Database(settings)
    folder, url = settings.data_path, settings.database_url
    intake = Intake(
        resolver=HostResolver(static_hosts, timeout=settings.dns_timeout),
        countries=countries,
        pdq_index=SnapshotPdqIndex(
            database, snapshot.path_for(folder, "contents", url) if folder else None
        ),
        pdq_threshold=settings.pdq_threshold,
        networks=open_hosting_networks(settings.asn_db, settings.cdn_ranges),
        list_index=ListPdqIndex(
            database, snapshot.path_for(folder, "lists", url) if folder else None
        ),
    )
    keyring = KeyRing(settings.signing_key_path)
    # Events are signed inside whatever session writes them: the ring rides on the engine.
    attach_keyring(database.engine, keyring)
    admin = settings.admin_token.get_secret_value() if settings.admin_token else None
    return HubState(
        settings=settings,
        database=database,
        intake=intake,
        group_commit=GroupCommit(database, intake),
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        auth_failures=RateLimiter(
            settings.auth_failure_limit / settings.auth_failure_window,
            max(1, settings.auth_failure_limit),
        ),
        webhook_check=WebhookTargets.from_settings(settings).check,
        keyring=keyring,
        admin_token_hash=hash_token(admin) if admin else None,
    )
