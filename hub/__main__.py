"""The hub's command line: `python -m hub serve | worker | demo |
admin create-token|rotate-key|purge`. Every command reads the HUB_* settings and migrates
the database first.
"""

import argparse
import logging
import sys
from datetime import datetime

from pydantic import ValidationError

from hub import logs, runtime
from hub.settings import Settings, unknown_variables

logger = logging.getLogger("hub")

# Seconds `serve` keeps an idle keep-alive connection open. Longer than clients keep theirs
# (httpx: 5 s, uvicorn's default too): with equal timers a client could send on a
# connection just as the server closed it, and that request failed with a read error
# (2 of 12,000 POSTs in a bench run). The client, not the server, closes an idle one.
KEEP_ALIVE_SECONDS = 30


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from hub.app import create_app

    app = create_app(settings)
    runtime.tune()
    if not settings.runs_inprocess_worker:
        logger.warning(
            "this process runs no delivery worker: webhooks wait until "
            "`python -m hub worker` runs (events stay pullable)"
        )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=args.access_log,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        workers=None,
    )
    return 0


def _worker(settings: Settings, _args: argparse.Namespace) -> int:
    from hub.delivery.worker import run_forever

    runtime.tune()
    return run_forever(settings)


def _create_token(settings: Settings, args: argparse.Namespace) -> int:
    from hub.auth.service import create_token
    from hub.db import Database
    from hub.migrate import upgrade

    path = settings.sqlite_path
    if path is not None and not path.exists() and not args.new_database:
        # A token in a fresh, empty database is one the running hub refuses.
        print(
            f"error: no hub database at {path}: run this in the folder the hub runs in, "
            "set HUB_DATABASE_URL to the hub's database, or pass --new-database",
            file=sys.stderr,
        )
        return 2
    database = Database(settings)
    upgrade(database.engine)
    expires = datetime.fromisoformat(args.expires_at) if args.expires_at else None
    with database.transaction() as session:
        token, secret = create_token(session, args.principal, args.subject, expires)
    database.dispose()
    print(secret)
    where = path or "the PostgreSQL database"
    print(
        f"created {token.id} ({token.principal} {token.subject}) in {where}; "
        "shown once, store it now",
        file=sys.stderr,
    )
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from hub.demo import seed

    print(seed(settings, args.hub), end="")
    where = settings.sqlite_path or "the PostgreSQL database"
    print(f"seeded GB-IWF and NL-MELDPUNT in {where}; tokens shown once", file=sys.stderr)
    return 0


def _rotate_key(settings: Settings, _args: argparse.Namespace) -> int:
    from hub.exchange.rotation import rotate

    return rotate(settings)


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    from hub.db import Database
    from hub.migrate import upgrade
    from hub.retention.service import cutoff, purge

    days = args.days if args.days is not None else settings.retention_days
    if days is None:
        print("error: set HUB_RETENTION_DAYS or pass --days", file=sys.stderr)
        return 2
    database = Database(settings)
    upgrade(database.engine)
    try:
        done = purge(database, days, dry_run=args.dry_run, actor=args.actor)
    finally:
        database.dispose()
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {done.cases} cases closed before {cutoff(days):%Y-%m-%d %H:%M} UTC: "
        f"{done.reports} reports, {done.content_hashes} content hashes, {done.events} events"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (paths hold ids only)"
    )
    serve.set_defaults(run=_serve)
    commands.add_parser("worker", help="run the delivery worker").set_defaults(run=_worker)
    demo = commands.add_parser(
        "demo", help="seed two hotlines with tokens and print the commands to try next"
    )
    demo.add_argument(
        "--hub", default="http://127.0.0.1:8000", help="the hub's address, for the commands"
    )
    demo.set_defaults(run=_demo)
    admin = commands.add_parser("admin", help="administration on the server host")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    token = admin_commands.add_parser("create-token", help="issue a token and print it once")
    token.add_argument("--principal", choices=["admin", "auditor", "hotline"], default="admin")
    token.add_argument(
        "--subject", default="operator", help="hotline id, or a label for admins and auditors"
    )
    token.add_argument("--expires-at", help="RFC 3339 time, e.g. 2027-01-01T00:00:00Z")
    token.add_argument(
        "--new-database",
        action="store_true",
        help="create the SQLite database if it does not exist (default: refuse)",
    )
    token.set_defaults(run=_create_token)
    admin_commands.add_parser(
        "rotate-key", help="sign from now on with a new Ed25519 key; old keys stay listed"
    ).set_defaults(run=_rotate_key)
    purge = admin_commands.add_parser(
        "purge", help="erase URLs, addresses and hashes of cases closed past retention"
    )
    purge.add_argument("--dry-run", action="store_true", help="count, change nothing")
    purge.add_argument("--days", type=int, help="instead of HUB_RETENTION_DAYS")
    purge.add_argument("--actor", default="operator", help="the label logged as the actor")
    purge.set_defaults(run=_purge)
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"invalid settings: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    for warning in unknown_variables():
        logger.warning(warning)
    try:
        return args.run(settings, args)
    except Exception as exc:  # a clear one-line message for the operator, not a trace
        if settings.log_level.upper() == "DEBUG":
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
