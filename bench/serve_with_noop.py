"""The hub as `python -m hub serve` runs it, plus a no-op POST /bench/noop: the baseline
of bench_post.py, served by the same process, server and middleware."""

import sys

import uvicorn

from hub import logs, runtime
from hub.__main__ import KEEP_ALIVE_SECONDS
from hub.app import create_app
from hub.settings import Settings


def main() -> None:
    settings = Settings()
    logs.configure(settings.log_level)
    app = create_app(settings)

    @app.post("/bench/noop")
    def noop() -> dict[str, str]:
        return {}

    runtime.tune()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_config=None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


if __name__ == "__main__":
    main()
