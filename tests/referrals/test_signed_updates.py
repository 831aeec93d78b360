"""PROTOCOL.md sections 2 and 6: a hotline with registered keys signs its status updates
(Standard Webhooks v1a); unsigned, badly signed or stale ones are 401, replays harmless."""

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.referrals.exchange import Exchange, signature_headers


def _delivered(hotlines: Exchange) -> tuple[str, str]:
    case, referral = hotlines.referral()
    hotlines.deliver(referral)
    return case, referral


def test_a_signed_update_is_applied(signed_hotlines: Exchange, nl_key: Ed25519PrivateKey) -> None:
    _, referral = _delivered(signed_hotlines)
    body = {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}

    answer = signed_hotlines.post_signed(referral, nl_key, body, "msg_1")

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"


def test_an_unsigned_update_is_401(signed_hotlines: Exchange) -> None:
    case, referral = _delivered(signed_hotlines)

    answer = signed_hotlines.post(referral, "accepted")

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith(":bad-signature")
    assert signed_hotlines.case(case)["status"] == "delivered"


def test_a_signature_by_another_key_or_over_another_body_is_401(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    case, referral = _delivered(signed_hotlines)
    body = {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    stranger = Ed25519PrivateKey.generate()

    by_stranger = signed_hotlines.post_signed(referral, stranger, body, "msg_1")
    raw = json.dumps(body).encode()
    tampered = signed_hotlines.nl.post(
        f"/v1/referrals/{referral}/status",
        content=raw.replace(b": ", b":"),  # the same JSON, other bytes
        headers={"content-type": "application/json", **signature_headers(nl_key, raw, "msg_2")},
    )
    not_base64 = signed_hotlines.post_signed(
        referral, nl_key, body, "msg_3", **{"webhook-signature": "v1a,!!!"}
    )
    only_hmac = signed_hotlines.post_signed(
        referral, nl_key, body, "msg_4", **{"webhook-signature": "v1,c2lnbmF0dXJl"}
    )

    for answer in (by_stranger, tampered, not_base64, only_hmac):
        assert answer.status_code == 401, answer.text
    assert signed_hotlines.case(case)["status"] == "delivered"


def test_one_valid_signature_among_several_is_enough(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    _, referral = _delivered(signed_hotlines)
    body = {"referral": referral, "status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    raw = json.dumps(body).encode()
    good = signature_headers(nl_key, raw, "msg_rot", int(time.time()))
    stranger = Ed25519PrivateKey.generate()
    bad = base64.b64encode(stranger.sign(b"whatever")).decode()
    good["webhook-signature"] = f"v1,aG1hYw== v1a,{bad} {good['webhook-signature']}"

    answer = signed_hotlines.nl.post(
        f"/v1/referrals/{referral}/status",
        content=raw,
        headers={"content-type": "application/json", **good},
    )

    assert answer.status_code == 200, answer.text


def test_missing_headers_are_401(signed_hotlines: Exchange, nl_key: Ed25519PrivateKey) -> None:
    _, referral = _delivered(signed_hotlines)
    body = {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    raw = json.dumps(body).encode()
    headers = signature_headers(nl_key, raw, "msg_1")

    for missing in headers:
        partial = {k: v for k, v in headers.items() if k != missing}
        answer = signed_hotlines.nl.post(
            f"/v1/referrals/{referral}/status",
            content=raw,
            headers={"content-type": "application/json", **partial},
        )
        assert answer.status_code == 401, (missing, answer.text)


def test_a_timestamp_more_than_five_minutes_away_is_401(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    case, referral = _delivered(signed_hotlines)
    body = {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    raw = json.dumps(body).encode()

    for offset in (-301 - 5, 301 + 5):
        headers = signature_headers(nl_key, raw, f"msg_{offset}", int(time.time()) + offset)
        answer = signed_hotlines.nl.post(
            f"/v1/referrals/{referral}/status",
            content=raw,
            headers={"content-type": "application/json", **headers},
        )
        assert answer.status_code == 401, answer.text
        assert "5 minutes" in answer.json()["detail"]
    assert signed_hotlines.case(case)["status"] == "delivered"


def test_a_replayed_webhook_id_is_not_applied_twice(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    case, referral = _delivered(signed_hotlines)
    signed_hotlines.post_signed(
        referral, nl_key, {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}, "a"
    )
    notice = json.dumps(
        {"referral": referral, "status": "notice_sent", "occurred_at": signed_hotlines.next_stamp()}
    )
    notice_headers = {
        "content-type": "application/json",
        **signature_headers(nl_key, notice.encode(), "msg_notice"),
    }
    url = f"/v1/referrals/{referral}/status"

    first = signed_hotlines.nl.post(url, content=notice, headers=notice_headers)
    removed = signed_hotlines.post_signed(
        referral,
        nl_key,
        {"status": "removed", "occurred_at": signed_hotlines.next_stamp()},
        "msg_removed",
    )
    replay = signed_hotlines.nl.post(url, content=notice, headers=notice_headers)

    assert first.status_code == removed.status_code == 200
    # Without the webhook-id this would be notice_sent after removed: a 409.
    assert replay.status_code == 200, replay.text
    assert replay.json()["status"] == "removed"
    assert [status for _, status in signed_hotlines.history(case)] == [
        "delivered",
        "accepted",
        "notice_sent",
        "removed",
    ]


def test_a_webhook_id_reused_for_another_update_is_409(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    _, referral = _delivered(signed_hotlines)
    _, other = _delivered(signed_hotlines)
    body = {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}

    assert signed_hotlines.post_signed(referral, nl_key, body, "msg_once").status_code == 200
    reused = signed_hotlines.post_signed(other, nl_key, body, "msg_once")

    assert reused.status_code == 409, reused.text
    assert signed_hotlines.nl.get(f"/v1/referrals/{other}").json()["status"] == "delivered"


def test_webhook_ids_of_different_hotlines_do_not_collide(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    de_key = Ed25519PrivateKey.generate()
    signed_hotlines.api.admin.patch(
        "/v1/hotlines/DE-ECO",
        json={"public_keys": [base64.b64encode(de_key.public_key().public_bytes_raw()).decode()]},
    ).raise_for_status()
    _, nl_referral = _delivered(signed_hotlines)
    _, old = _delivered(signed_hotlines)
    signed_hotlines.post_signed(
        old, nl_key, {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}, "x1"
    ).raise_for_status()
    signed_hotlines.post_signed(
        old,
        nl_key,
        {"status": "rerouted", "occurred_at": signed_hotlines.next_stamp(), "country": "DE"},
        "x2",
    ).raise_for_status()
    [de_referral] = signed_hotlines.de.get("/v1/referrals").json()["items"]
    signed_hotlines.deliver(de_referral["id"])
    body = {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}

    nl = signed_hotlines.post_signed(nl_referral, nl_key, body, "same-id")
    raw = json.dumps({"referral": de_referral["id"], **body}).encode()
    de = signed_hotlines.de.post(
        f"/v1/referrals/{de_referral['id']}/status",
        content=raw,
        headers={"content-type": "application/json", **signature_headers(de_key, raw, "same-id")},
    )

    assert nl.status_code == de.status_code == 200


def test_a_hotline_without_keys_may_send_unsigned_updates(hotlines: Exchange) -> None:
    _, referral = _delivered(hotlines)

    assert hotlines.post(referral, "accepted").status_code == 200


def test_the_same_signed_update_sent_at_once_many_times_is_applied_once(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    case, referral = _delivered(signed_hotlines)
    body = {"referral": referral, "status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json", **signature_headers(nl_key, raw, "msg_race")}

    def send(_: int) -> int:
        url = f"/v1/referrals/{referral}/status"
        return signed_hotlines.nl.post(url, content=raw, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(send, range(8)))

    assert codes == [200] * 8
    assert [status for _, status in signed_hotlines.history(case)] == ["delivered", "accepted"]


def test_two_different_moves_at_once_apply_one_and_refuse_the_other(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()
    hotlines.walk(referral, ["delivered", "accepted"])
    moves = [("content_gone", hotlines.next_stamp()), ("not_illegal", hotlines.next_stamp())]

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda move: hotlines.post(referral, *move), moves))

    assert sorted(answer.status_code for answer in answers) == [200, 409]
    assert len(hotlines.history(case)) == 3
