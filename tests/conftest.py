"""Fixtures that start real things: a database per test (SQLite file or PostgreSQL),
a uvicorn server on a free loopback port, and httpx clients holding real tokens.

`HUB_TEST_DATABASE_URL` (a PostgreSQL server URL) moves every database-backed test to
PostgreSQL; each test gets a fresh database cloned from a migrated template.
"""

import json
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import psycopg
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from hub.__main__ import KEEP_ALIVE_SECONDS
from hub.app import create_app
from hub.db import Database
from hub.migrate import upgrade
from hub.settings import Settings
from tests.support.mmdb import write_country_mmdb

# Fuzz tests (hypothesis): no example database in the tree, no deadline on a loaded machine;
# in CI the examples are derandomised, so a red run is reproducible and not bad luck.
hypothesis.settings.register_profile("dev", database=None, deadline=None)
hypothesis.settings.register_profile("ci", database=None, deadline=None, derandomize=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "dev")

ADMIN_TOKEN = "test-admin-Qm4xT9vK2pZ7wL3rB8nH5cJ1fD6gS0yE"
POSTGRES_URL = os.environ.get("HUB_TEST_DATABASE_URL")

# Host names the tests report, resolved from this map instead of DNS.
STATIC_HOSTS = {
    "files.example.net": ["203.0.113.7"],
    "images.example.de": ["198.51.100.20"],
    "nowhere.example.org": [],
    "private.example.com": ["10.1.2.3"],
    "v6only.example.fr": ["2001:db8:fe::1"],
    "unmapped.example.com": ["192.0.2.99"],
    "cdn.example.com": ["104.16.1.1"],  # Cloudflare's published range
}
# Countries of those addresses, in a MaxMind DB the tests build.
GEOIP = {
    "203.0.113.0/25": "NL",
    "198.51.100.0/24": "DE",
    "2001:db8:fe::/48": "FR",
    "203.0.113.128/25": "GB",
}


def libpq(url: str) -> str:
    """A database URL of the hub's (SQLAlchemy) form as psycopg and pg_dump take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _admin_conninfo(url: str) -> tuple[str, str]:
    parsed = make_url(url)
    server = parsed.set(database="postgres", drivername="postgresql")
    return server.render_as_string(hide_password=False), parsed.database or "test"


class PostgresDatabases:
    """Creates one migrated template per test session and a clone of it per test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin_conninfo, _ = _admin_conninfo(url)
        self.prefix = f"hubt_{os.getpid()}_{secrets.token_hex(3)}"
        self.template = f"{self.prefix}_tmpl"
        self.created: list[str] = []
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = Database(Settings(database_url=self.url_for(self.template))).engine
        upgrade(engine)
        engine.dispose()

    def _execute(self, sql: str) -> None:
        with psycopg.connect(self.admin_conninfo, autocommit=True) as connection:
            connection.execute(sql)

    def url_for(self, name: str) -> str:
        return (
            make_url(self.url)
            .set(database=name, drivername="postgresql+psycopg")
            .render_as_string(hide_password=False)
        )

    def fresh(self) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self.url_for(name)

    def fresh_empty(self) -> str:
        """A new database with no tables (a restore target); dropped at the end too."""
        name = f"{self.prefix}_{len(self.created)}"
        self._execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url_for(name)

    def drop_all(self) -> None:
        for name in [*self.created, self.template]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    if not POSTGRES_URL:
        yield None
        return
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test copies it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    database = Database(Settings(database_url=f"sqlite:///{path}"))
    upgrade(database.engine)
    database.dispose()
    return path


@pytest.fixture
def database_url(tmp_path: Path, postgres: PostgresDatabases | None, sqlite_template: Path) -> str:
    if postgres is not None:
        return postgres.fresh()
    path = tmp_path / "hub.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def write_geo_files(folder: Path) -> dict[str, Path]:
    hosts = folder / "static-hosts.json"
    hosts.write_text(json.dumps(STATIC_HOSTS))
    geoip = write_country_mmdb(folder / "countries.mmdb", GEOIP)
    return {"static_hosts": hosts, "geoip_db": geoip}


@pytest.fixture
def geo_files(tmp_path: Path) -> dict[str, Path]:
    return write_geo_files(tmp_path)


@pytest.fixture
def settings_for(
    tmp_path: Path, database_url: str, geo_files: dict[str, Path]
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "admin_token": ADMIN_TOKEN,
            "signing_key": tmp_path / "hub-signing-key.pem",
            "allow_private_webhooks": True,
            "rate_limit_per_second": 0,
            **geo_files,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(settings_for: Callable[..., Settings]) -> Settings:
    return settings_for()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="on",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,  # as `python -m hub serve`
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the hub did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def hub(settings: Settings) -> Iterator[ServerThread]:
    with ServerThread(settings) as server:
        yield server


class Hub:
    """Test-side handle on a running hub: an admin client and hotline clients."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        )
        self._clients: list[httpx.Client] = [self.admin]

    def token(self, principal: str, subject: str) -> str:
        answer = self.admin.post("/v1/tokens", json={"principal": principal, "subject": subject})
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def register(self, hotline_id: str, countries: list[str], **fields: Any) -> httpx.Client:
        """Registers a hotline and returns a client holding a token of it."""
        body = {"id": hotline_id, "name": f"Hotline {hotline_id}", "countries": countries, **fields}
        answer = self.admin.post("/v1/hotlines", json=body)
        assert answer.status_code == 201, answer.text
        return self.client(self.token("hotline", hotline_id))

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def default_settings(database_url: str, tmp_path: Path) -> Settings:
    """What `make run` starts with (embedded GeoIP, DNS, no hosts map); the database (one
    per test), the key file and the bootstrap admin token are the test's."""
    return Settings(
        database_url=database_url,
        signing_key=tmp_path / "hub-signing-key.pem",
        admin_token=ADMIN_TOKEN,
    )


@pytest.fixture
def default_hub(default_settings: Settings) -> Iterator[ServerThread]:
    with ServerThread(default_settings) as server:
        yield server


@pytest.fixture(scope="module")
def module_hub(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases | None,
    sqlite_template: Path,
) -> Iterator[ServerThread]:
    """One hub and one database for a whole module (tests that share their objects): the
    test settings, with no rate limits, and the delivery worker in the process."""
    folder = tmp_path_factory.mktemp("module-hub")
    if postgres is not None:
        database_url = postgres.fresh()
    else:
        shutil.copyfile(sqlite_template, folder / "hub.db")
        database_url = f"sqlite:///{folder / 'hub.db'}"
    settings = Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        signing_key=folder / "hub-signing-key.pem",
        allow_private_webhooks=True,
        rate_limit_per_second=0,
        auth_failure_limit=0,
        inprocess_worker=True,
        **write_geo_files(folder),
    )
    with ServerThread(settings) as server:
        yield server


@pytest.fixture
def api(hub: ServerThread) -> Iterator[Hub]:
    handle = Hub(hub.url)
    yield handle
    handle.close()


def report(
    reference: str = "REF-1", url: str = "https://files.example.net/a/b.jpg", **fields: Any
) -> dict[str, Any]:
    """A valid report body; keyword arguments replace its fields."""
    body: dict[str, Any] = {
        "reference": reference,
        "url": url,
        "content": {
            "kind": "image",
            "hashes": [{"alg": "sha256", "value": secrets.token_hex(32)}],
        },
        "assessment": {"classification": "baseline", "age_group": "prepubescent"},
        "site_type": "image_host",
        "observed_at": "2026-11-24T09:30:00Z",
    }
    body.update(fields)
    return body
