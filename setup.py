"""Building a wheel writes the sync SDK client (`clients/_sync.py`) from the async one
first (scripts/unasync.py): it is a build product, never committed. Everything else
about the build is in pyproject.toml."""

import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithSyncClient(build_py):
    def run(self) -> None:
        unasync = runpy.run_path(str(Path(__file__).parent / "scripts" / "unasync.py"))
        unasync["TARGET"].write_text(unasync["generate"](unasync["SOURCE"].read_text()))
        super().run()


setup(cmdclass={"build_py": BuildWithSyncClient})
