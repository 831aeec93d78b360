"""Signing in to the console: an admin token exchanged for a server-side session cookie,
CSRF tokens on every form, clear refusals and rate-limited attempts."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, text

from hub.auth.service import hash_token
from hub.console.models import ConsoleSession
from hub.db import Database
from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, Hub, ServerThread
from tests.console.conftest import csrf_of, sign_in


def test_the_console_sends_an_unsigned_visitor_to_the_sign_in_page(hub: ServerThread) -> None:
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        answer = client.get("/console/queue")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in"
        page = client.get("/console/sign-in")
    assert page.status_code == 200
    assert "Admin token" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert page.headers["x-frame-options"] == "DENY"


def test_signing_in_sets_a_strict_http_only_session_cookie_whose_secret_is_stored_hashed(
    hub: ServerThread, settings: Settings
) -> None:
    client = sign_in(hub.url)
    cookie = next(c for c in client.cookies.jar if c.name == "hub_console")
    assert cookie.path == "/console"
    assert cookie.expires is not None
    assert not cookie.secure  # on loopback only
    header = _session_cookie_header(hub.url)
    assert "HttpOnly" in header and "SameSite=strict" in header and "Max-Age=28800" in header
    overview = client.get("/console")
    assert overview.status_code == 200 and "open cases" in overview.text
    database = Database(settings)
    with database.session(write=False) as session:
        rows = list(session.scalars(select(ConsoleSession)))
        dump = " ".join(str(v) for v in session.execute(text("SELECT * FROM console_sessions")))
    database.dispose()
    # Two sessions (this client's and the one read for its header), each only as a hash.
    assert len(rows) == 2 and hash_token(cookie.value) in {row.secret_hash for row in rows}
    assert cookie.value not in dump
    client.close()


def _session_cookie_header(base_url: str, host: str | None = None) -> str:
    headers = {"host": host} if host else {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        nonce = csrf_of(client.get("/console/sign-in").text)
    # The sign-in cookie is sent by hand: an HTTP client keeps no Secure cookie over http.
    headers["cookie"] = f"hub_console_sign_in={nonce}"
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        answer = client.post("/console/sign-in", data={"csrf": nonce, "token": ADMIN_TOKEN})
    assert answer.status_code == 303, answer.text
    return next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "hub_console=" in v
    )


def test_the_cookie_is_secure_when_the_console_is_not_reached_on_loopback(
    hub: ServerThread,
) -> None:
    assert "Secure" in _session_cookie_header(hub.url, host="hub.example.org")
    assert "Secure" not in _session_cookie_header(hub.url)


def test_a_wrong_token_gets_a_clear_message_and_no_session(hub: ServerThread) -> None:
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        form = client.get("/console/sign-in")
        answer = client.post(
            "/console/sign-in", data={"csrf": csrf_of(form.text), "token": "hub_not-a-token"}
        )
        assert answer.status_code == 401
        assert "That token is not valid" in answer.text
        assert "hub_console=" not in answer.headers.get("set-cookie", "")
        assert client.get("/console").status_code == 303


def test_a_hotline_token_does_not_sign_in(api: Hub, hub: ServerThread) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    token = api.token("hotline", "NL-MELDPUNT")
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        form = client.get("/console/sign-in")
        answer = client.post("/console/sign-in", data={"csrf": csrf_of(form.text), "token": token})
    assert answer.status_code == 403
    assert "Only an admin token" in answer.text


def test_sign_in_without_the_forms_csrf_token_is_refused(hub: ServerThread) -> None:
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        client.get("/console/sign-in")
        answer = client.post("/console/sign-in", data={"csrf": "forged", "token": ADMIN_TOKEN})
    assert answer.status_code == 403
    assert "hub_console=" not in answer.headers.get("set-cookie", "")


def test_a_form_posted_without_its_csrf_token_changes_nothing(api: Hub, hub: ServerThread) -> None:
    client = sign_in(hub.url)
    body = {"id": "NL-MELDPUNT", "name": "Meldpunt", "countries": "NL"}
    refused = client.post("/console/hotlines", data={**body, "csrf": "x" * 64})
    assert refused.status_code == 403
    assert api.admin.get("/v1/hotlines/NL-MELDPUNT").status_code == 404
    csrf = csrf_of(client.get("/console/hotlines").text)
    accepted = client.post("/console/hotlines", data={**body, "csrf": csrf})
    assert accepted.status_code == 303
    assert api.admin.get("/v1/hotlines/NL-MELDPUNT").json()["countries"] == ["NL"]
    client.close()


def test_signing_out_ends_the_session_on_the_server(hub: ServerThread) -> None:
    client = sign_in(hub.url)
    secret = client.cookies["hub_console"]
    csrf = csrf_of(client.get("/console").text)
    answer = client.post("/console/sign-out", data={"csrf": csrf})
    assert answer.status_code == 303
    with httpx.Client(base_url=hub.url, cookies={"hub_console": secret}, timeout=30) as replay:
        again = replay.get("/console")
    assert again.status_code == 303
    assert again.headers["location"] == "/console/sign-in?reason=ended"
    client.close()


def test_revoking_the_admin_token_signed_in_with_ends_its_session(
    api: Hub, hub: ServerThread
) -> None:
    created = api.admin.post("/v1/tokens", json={"principal": "admin", "subject": "secretariat"})
    token = created.json()
    client = sign_in(hub.url, token["token"])
    assert client.get("/console").status_code == 200
    assert "secretariat" in client.get("/console").text
    assert api.admin.delete(f"/v1/tokens/{token['id']}").status_code == 200
    answer = client.get("/console")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?reason=ended"
    client.close()


def test_an_expired_session_is_refused(hub: ServerThread, hub_clock: Any) -> None:
    client = sign_in(hub.url)
    assert client.get("/console").status_code == 200
    hub_clock.advance(timedelta(minutes=481))
    assert client.get("/console").status_code == 303
    client.close()


def test_sign_in_attempts_are_rate_limited_like_the_api(
    settings_for: Callable[..., Settings],
) -> None:
    limited = settings_for(rate_limit_per_second=0.01, rate_limit_burst=3)
    with ServerThread(limited) as hub, httpx.Client(base_url=hub.url, timeout=30) as client:
        statuses = []
        for _ in range(5):
            form = client.get("/console/sign-in")
            answer = client.post(
                "/console/sign-in", data={"csrf": csrf_of(form.text), "token": "hub_wrong"}
            )
            statuses.append(answer.status_code)
        assert statuses[:3] == [401, 401, 401]
        assert statuses[3:] == [429, 429]
        assert "Too many sign-in attempts" in answer.text
