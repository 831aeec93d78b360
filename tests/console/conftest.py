"""Fixtures of the console tests: signing in over plain HTTP, reading a form's CSRF token."""

import re

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.delivery.conftest import hub_clock  # noqa: F401 (the movable clock fixture)

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(base_url: str, token: str = ADMIN_TOKEN, **client_options: object) -> httpx.Client:
    """A client holding a console session (its cookies), as a browser would after signing in."""
    client = httpx.Client(base_url=base_url, timeout=30, **client_options)  # type: ignore[arg-type]
    form = client.get("/console/sign-in")
    answer = client.post("/console/sign-in", data={"csrf": csrf_of(form.text), "token": token})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console?done=signed-in"
    return client
