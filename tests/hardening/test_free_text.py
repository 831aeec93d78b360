"""Issue 9.2: no field lets free text through to storage or to another hotline.

Each test names one field: hosting_ip, public keys, webhook URLs, the reporter's reference.
"""

import base64
from collections.abc import Callable

import httpx
import pytest

from hub.settings import Settings
from tests.conftest import Hub, ServerThread, report

ZERO_KEY = base64.b64encode(bytes(32)).decode()  # 43 'A' and '='


@pytest.fixture
def iwf(api: Hub) -> httpx.Client:
    api.register("NL-MELDPUNT", ["NL"])
    return api.register("GB-IWF", ["GB"])


@pytest.mark.parametrize(
    ("hosting_ip", "msg"),
    [
        ("2001:67c:2e8::1%Jane.Doe+31612345678", "zone id"),
        ("2001:67c:2e8::1%25eth0", "zone id"),
        ("2001:067c:02e8::1", "written as '2001:67c:2e8::1'"),
        ("2001:67C:2E8::1", "written as '2001:67c:2e8::1'"),
        ("2001:67c:2e8:0:0:0:0:1", "written as '2001:67c:2e8::1'"),
        ("2001:67c:2e8::01", "written as '2001:67c:2e8::1'"),
    ],
)
def test_hosting_ip_must_be_the_canonical_address(
    iwf: httpx.Client, hosting_ip: str, msg: str
) -> None:
    answer = iwf.post("/v1/reports", json=report("Z1", hosting_ip=hosting_ip))
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["loc"] == ["body", "hosting_ip"] and msg in error["msg"]
    assert "Jane" not in answer.text


def test_a_canonical_hosting_ip_is_stored_and_forwarded_as_sent(
    api: Hub, iwf: httpx.Client
) -> None:
    answer = iwf.post("/v1/reports", json=report("Z2", hosting_ip="2001:67c:2e8::1"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["hosting"]["ip"] == "2001:67c:2e8::1"


def test_a_public_key_must_be_canonical_base64(api: Hub) -> None:
    padded_bits = ZERO_KEY[:-2] + "B="  # decodes to the same 32 bytes; two bits hide text
    answer = api.admin.post(
        "/v1/hotlines",
        json={"id": "FR-PHAROS", "name": "P", "countries": ["FR"], "public_keys": [padded_bits]},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", "public_keys", 0]


def test_a_webhook_url_is_stored_as_whatwg_serialises_it(api: Hub) -> None:
    sent = "http://FILES.example.net\\@127.0.0.1/hook#frag"
    answer = api.admin.post(
        "/v1/hotlines",
        json={"id": "FR-PHAROS", "name": "P", "countries": ["FR"], "webhook_url": sent},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["webhook_url"] == "http://files.example.net/@127.0.0.1/hook"
    changed = api.admin.patch(
        "/v1/hotlines/FR-PHAROS", json={"webhook_url": "http://files.example.net:80/./a/../b"}
    )
    assert changed.json()["webhook_url"] == "http://files.example.net/b"


def test_a_backslash_cannot_smuggle_a_private_host_into_a_webhook_url(
    settings_for: Callable[..., Settings],
) -> None:
    # WHATWG reads `\` as `/` in https URLs: the host is files.example.net (public), and
    # `@127.0.0.1` is part of the path, stored so that no other parser reads it otherwise.
    with ServerThread(settings_for(allow_private_webhooks=False)) as server:
        api = Hub(server.url)
        answer = api.admin.post(
            "/v1/hotlines",
            json={
                "id": "FR-PHAROS",
                "name": "P",
                "countries": ["FR"],
                "webhook_url": "https://files.example.net\\@127.0.0.1/",
            },
        )
        api.close()
    assert answer.status_code == 201, answer.text
    assert answer.json()["webhook_url"] == "https://files.example.net/@127.0.0.1/"


@pytest.mark.parametrize("url", ["http://127.0.0.1:0/hook", "https://files.example.net:0/"])
def test_a_webhook_url_on_port_0_is_refused(api: Hub, url: str) -> None:
    answer = api.admin.post(
        "/v1/hotlines",
        json={"id": "FR-PHAROS", "name": "P", "countries": ["FR"], "webhook_url": url},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", "webhook_url"]


def test_the_reporters_reference_never_reaches_the_receiving_hotline(
    api: Hub, iwf: httpx.Client
) -> None:
    reference = "Jane.Doe+31612345678"
    answer = iwf.post("/v1/reports", json=report(reference))
    assert answer.status_code == 201, answer.text
    meldpunt = api.client(api.token("hotline", "NL-MELDPUNT"))
    referral = meldpunt.get(f"/v1/referrals/{answer.json()['routing']['referral']}")
    assert referral.status_code == 200
    inbox = meldpunt.get("/v1/referrals")
    events = meldpunt.get("/v1/events")
    for seen in (referral, inbox, events):
        assert reference not in seen.text


def test_a_webhook_url_that_grows_past_2048_characters_once_normalised_is_refused(
    api: Hub,
) -> None:
    # 1,100 characters as sent; each é becomes %C3%A9 in WHATWG's serialisation.
    sent = "http://files.example.net/" + "é" * 1075
    answer = api.admin.post(
        "/v1/hotlines",
        json={"id": "FR-PHAROS", "name": "P", "countries": ["FR"], "webhook_url": sent},
    )
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["loc"] == ["body", "webhook_url"] and "once normalised" in error["msg"]
