"""`python -m clients.cli`: hubctl without its installed entry point."""

import sys

from clients.cli import main

sys.exit(main())
