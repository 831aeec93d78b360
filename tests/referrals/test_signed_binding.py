"""Issue 9.3: a signed status update is bound to its referral (the body names it, checked
against the path), and every verified webhook-id is used once, also when it was refused."""

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hub.referrals.models import SeenRequest, StatusChange
from tests.referrals.exchange import Exchange, signature_headers


def _send(hotlines: Exchange, referral: str, raw: bytes, headers: dict[str, str]) -> int:
    answer = hotlines.nl.post(
        f"/v1/referrals/{referral}/status",
        content=raw,
        headers={"content-type": "application/json", **headers},
    )
    return answer.status_code


def test_a_refused_signed_update_replayed_to_another_referral_is_not_applied(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    _, first = signed_hotlines.referral()  # pending: accepted is refused with 409
    _, second = signed_hotlines.referral()
    signed_hotlines.deliver(second)
    body = {"referral": first, "status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    raw = json.dumps(body).encode()
    headers = signature_headers(nl_key, raw, "msg_bound")

    assert _send(signed_hotlines, first, raw, headers) == 409
    assert _send(signed_hotlines, second, raw, headers) == 422
    assert signed_hotlines.nl.get(f"/v1/referrals/{second}").json()["status"] == "delivered"


def test_a_refused_signed_update_stays_refused_when_replayed_later(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    _, referral = signed_hotlines.referral()
    body = {"referral": referral, "status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    raw = json.dumps(body).encode()
    headers = signature_headers(nl_key, raw, "msg_early")

    assert _send(signed_hotlines, referral, raw, headers) == 409  # not delivered yet
    signed_hotlines.deliver(referral)
    replay = signed_hotlines.nl.post(
        f"/v1/referrals/{referral}/status",
        content=raw,
        headers={"content-type": "application/json", **headers},
    )
    assert replay.status_code == 409, replay.text
    assert replay.json()["errors"][0]["loc"] == ["header", "webhook-id"]
    assert signed_hotlines.nl.get(f"/v1/referrals/{referral}").json()["status"] == "delivered"


def test_a_signed_update_must_name_its_referral(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    _, referral = signed_hotlines.referral()
    signed_hotlines.deliver(referral)
    stamp = signed_hotlines.next_stamp()
    for body, loc in (
        ({"status": "accepted", "occurred_at": stamp}, "referral"),
        (
            {"case": "cas_x", "referral": referral, "status": "accepted", "occurred_at": stamp},
            "case",
        ),
    ):
        raw = json.dumps(body).encode()
        answer = signed_hotlines.nl.post(
            f"/v1/referrals/{referral}/status",
            content=raw,
            headers={"content-type": "application/json", **signature_headers(nl_key, raw, loc)},
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", loc]


def test_a_webhook_id_is_kept_as_a_digest_only(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    _, referral = signed_hotlines.referral()
    signed_hotlines.deliver(referral)
    text = "Jane-Doe-31612345678"
    body = {"status": "accepted", "occurred_at": signed_hotlines.next_stamp()}
    assert signed_hotlines.post_signed(referral, nl_key, body, text).status_code == 200
    with signed_hotlines.database.session(write=False) as session:
        kept = [
            *session.scalars(select(StatusChange.request_id)),
            *session.scalars(select(SeenRequest.request_id)),
        ]
    assert len([k for k in kept if k]) == 2
    assert not any(text in (k or "") for k in kept)
