"""The ASN/CDN lookup's cost on batch ingest: the same batches recorded in-process through
`hub.reports.intake` with the lookup (an ASN database plus the CDN ranges) and without it
(`Intake.networks = None`), each on a fresh database, alternated and repeated.

    .venv/bin/python -m bench.bench_cdn_lookup [--n 20000] [--db sqlite|postgres|both]

Every report has its own hosting address (half in Cloudflare's range), so each one is
looked up. Prints reports/s with and without the lookup, the ratio, and lookups/s alone.
"""

import argparse
import dataclasses
import ipaddress
import tempfile
import time
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

from bench._support import ADMIN_TOKEN, fresh_database, make_report
from hub.hotlines.service import register
from hub.migrate import upgrade
from hub.reports import intake
from hub.reports.service import parse_item
from hub.settings import Settings
from hub.state import build_state
from schemas.hotlines import HotlineIn

BATCH = 1000


def write_asn_db(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN")
    for cidr, asn, name in (
        ("104.16.0.0/13", 13335, "CLOUDFLARENET"),
        ("193.0.0.0/21", 3333, "RIPE-NCC-AS"),
    ):
        writer.insert_network(
            IPSet([cidr]),
            {"autonomous_system_number": asn, "autonomous_system_organization": name},
        )
    writer.to_db_file(str(path))
    return path


def reports(n: int, run: str) -> list[dict]:
    bodies = []
    for i in range(n):
        body = make_report(i, run)
        base = "104.16.0.0" if i % 2 else "193.0.0.0"
        body["hosting_ip"] = str(ipaddress.ip_address(base) + (i // 2) % 2000 + 1)
        bodies.append(body)
    return bodies


def ingest(database_url: str, folder: Path, n: int, lookup: bool, run: str) -> float:
    settings = Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        signing_key=folder / "key.pem",
        asn_db=write_asn_db(folder / "asn.mmdb"),
        rate_limit_per_second=0,
        log_level="WARNING",
    )
    state = build_state(settings)
    upgrade(state.database.engine)
    with state.database.transaction() as session:
        for hotline, country in (("NL-MELDPUNT", "NL"), ("GB-IWF", "GB"), ("US-HOTLINE", "US")):
            register(
                session,
                HotlineIn(id=hotline, name=hotline, countries=[country]),
                "bench",
                lambda _: None,
            )
    intake_ = state.intake if lookup else dataclasses.replace(state.intake, networks=None)
    bodies = reports(n, run)
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        items = [
            parse_item(body, index, intake_.networks)
            for index, body in enumerate(bodies[start : start + BATCH])
        ]
        with state.database.session(write=False) as reader:
            hostings = intake.lookups(reader, intake_, "GB-IWF", items)
        with state.database.transaction() as writer:
            outcomes = intake.submit_many(writer, intake_, "GB-IWF", items, hostings)
        assert all(isinstance(o, tuple) and o[1] for o in outcomes)
    elapsed = time.perf_counter() - started
    state.database.dispose()
    return n / elapsed


def lookups_alone(folder: Path, count: int = 200_000) -> float:
    from hub.geo.cdn import open_hosting_networks

    networks = open_hosting_networks(write_asn_db(folder / "alone.mmdb"), None)
    addresses = [ipaddress.ip_address("104.16.0.1") + i for i in range(count // 2)]
    addresses += [ipaddress.ip_address("193.0.0.1") + i for i in range(count // 2)]
    started = time.perf_counter()
    for address in addresses:
        networks.lookup(address)
    return count / (time.perf_counter() - started)


def run(kind: str, n: int, rounds: int) -> None:
    best = {True: 0.0, False: 0.0}
    for round_ in range(rounds):
        for lookup in (False, True):
            with fresh_database(kind) as url, tempfile.TemporaryDirectory() as folder:
                rate = ingest(url, Path(folder), n, lookup, f"r{round_}{lookup:d}-")
            best[lookup] = max(best[lookup], rate)
    ratio = best[True] / best[False]
    print(
        f"{kind:9} without lookup: {best[False]:7.0f} reports/s   with ASN+CDN lookup: "
        f"{best[True]:7.0f} reports/s   ratio {ratio:.3f} (added time {1 / ratio - 1:+.1%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2, help="best of this many per side")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    print(f"in-process batch ingest of {args.n} reports, batches of {BATCH}, best of {args.rounds}")
    with tempfile.TemporaryDirectory() as folder:
        print(f"lookup alone (ASN database + CDN ranges): {lookups_alone(Path(folder)):,.0f}/s")
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        run(kind, args.n, args.rounds)


if __name__ == "__main__":
    main()
