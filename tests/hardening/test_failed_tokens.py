"""Issue 9.7: bad tokens are rate limited per client address (docs/protocol.md section 3):
after HUB_AUTH_FAILURE_LIMIT failures the address gets 429 with Retry-After, whatever
token it sends, while other addresses go on as before."""

from collections.abc import Callable

import httpx

from hub.settings import Settings
from tests.conftest import ADMIN_TOKEN, ServerThread


def _client(url: str, token: str | None, source: str = "127.0.0.1") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=url, headers=headers, transport=transport, timeout=30)


def test_an_address_sending_bad_tokens_gets_429_with_retry_after(
    settings_for: Callable[..., Settings],
) -> None:
    settings = settings_for(auth_failure_limit=3, auth_failure_window=600)
    with ServerThread(settings) as server:
        guesser = _client(server.url, "hub_guess")
        anonymous = _client(server.url, None)
        admin_same_address = _client(server.url, ADMIN_TOKEN)
        admin_elsewhere = _client(server.url, ADMIN_TOKEN, source="127.0.0.2")

        # No token at all is a 401 that counts nothing: there was nothing to guess.
        assert [anonymous.get("/v1/hotlines").status_code for _ in range(5)] == [401] * 5
        assert [guesser.get("/v1/hotlines").status_code for _ in range(3)] == [401] * 3
        limited = guesser.get("/v1/hotlines")
        assert limited.status_code == 429, limited.text
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["type"] == "urn:hotline-hub:problem:rate-limited"
        # Refused before the token is looked at: a guess learns nothing, right or wrong.
        assert admin_same_address.get("/v1/hotlines").status_code == 429
        assert admin_elsewhere.get("/v1/hotlines").status_code == 200
        for client in (guesser, anonymous, admin_same_address, admin_elsewhere):
            client.close()
