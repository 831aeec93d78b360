"""`hubctl`, the hub's command line: every command is one SDK call and some printing.
Configuration comes from flags (--hub, --token), HUB_URL / HUB_TOKEN, or the config file."""

from clients.cli.app import EXIT_CODES, app, main

# isort: off
# Each module registers its commands on `app` as it is imported: --help lists them in this order.
from clients.cli import reports, admin, log, listen, hash, lists  # noqa: F401
# isort: on

__all__ = ["EXIT_CODES", "app", "main"]
