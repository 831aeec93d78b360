"""Protocol 1.1 referral actions: the referral's hotline records that it notified law
enforcement or the host; signed like status updates, told to reporters, in the log."""

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import report
from tests.log.test_log_api import _auditor, _leaves
from tests.referrals.exchange import Exchange, signature_headers


def _accepted(hotlines: Exchange) -> tuple[str, str]:
    case, referral = hotlines.referral()
    hotlines.deliver(referral)
    assert hotlines.post(referral, "accepted").status_code == 200
    return case, referral


def test_an_action_is_recorded_told_to_reporters_and_logged(hotlines: Exchange) -> None:
    case, referral = _accepted(hotlines)
    at = hotlines.next_stamp()

    answer = hotlines.nl.post(
        f"/v1/referrals/{referral}/actions",
        json={"action": "law_enforcement_notified", "occurred_at": at},
    )
    again = hotlines.nl.post(
        f"/v1/referrals/{referral}/actions",
        json={"action": "law_enforcement_notified", "occurred_at": at},
    )
    told = [
        e for e in hotlines.iwf.get("/v1/events").json()["items"] if e["type"] == "referral.action"
    ]
    leaves = [json.loads(leaf) for leaf in _leaves(_auditor(hotlines.api))]

    assert answer.status_code == 201, answer.text
    assert again.status_code == 200
    assert again.json() == answer.json()
    body = answer.json()
    assert {k: body[k] for k in ("referral", "case", "action", "occurred_at")} == {
        "referral": referral,
        "case": case,
        "action": "law_enforcement_notified",
        "occurred_at": at,
    }
    assert [e["data"] for e in told] == [body]
    assert hotlines.nl.get(f"/v1/referrals/{referral}").json()["status"] == "accepted"
    [leaf] = [leaf for leaf in leaves if leaf["type"] == "referral.action"]
    assert (leaf["action"], leaf["referral"], leaf["actor"]) == (
        "law_enforcement_notified",
        referral,
        "NL-MELDPUNT",
    )


def test_only_the_referrals_hotline_records_actions_and_only_known_ones(
    hotlines: Exchange,
) -> None:
    _, referral = _accepted(hotlines)
    path = f"/v1/referrals/{referral}/actions"
    valid = {"action": "host_notified", "occurred_at": hotlines.next_stamp()}

    other = hotlines.de.post(path, json=valid)
    unknown = hotlines.nl.post(path, json={**valid, "action": "arrested"})
    future = hotlines.nl.post(path, json={**valid, "occurred_at": "2999-01-01T00:00:00Z"})
    admin = hotlines.api.admin.post(path, json=valid)

    assert other.status_code == 404
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "action"]
    assert future.status_code == 422
    assert admin.status_code == 403


def test_a_hotline_with_keys_signs_its_actions(
    signed_hotlines: Exchange, nl_key: Ed25519PrivateKey
) -> None:
    _, referral = signed_hotlines.referral()
    _, another = signed_hotlines.referral()
    path = f"/v1/referrals/{referral}/actions"
    stamp = signed_hotlines.next_stamp()
    raw = json.dumps({"action": "host_notified", "occurred_at": stamp, "referral": referral})
    headers = {"content-type": "application/json"}
    unnamed = json.dumps({"action": "host_notified", "occurred_at": stamp})

    unsigned = signed_hotlines.nl.post(path, content=raw, headers=headers)
    signed = signed_hotlines.nl.post(
        path, content=raw, headers={**headers, **signature_headers(nl_key, raw.encode(), "a-1")}
    )
    replayed = signed_hotlines.nl.post(
        path, content=raw, headers={**headers, **signature_headers(nl_key, raw.encode(), "a-1")}
    )
    unbound = signed_hotlines.nl.post(
        path,
        content=unnamed,
        headers={**headers, **signature_headers(nl_key, unnamed.encode(), "a-0")},
    )
    elsewhere = signed_hotlines.nl.post(
        f"/v1/referrals/{another}/actions",
        content=raw,
        headers={**headers, **signature_headers(nl_key, raw.encode(), "a-1")},
    )
    other = json.dumps(
        {
            "action": "law_enforcement_notified",
            "occurred_at": "2026-11-01T00:00:00Z",
            "referral": referral,
        }
    )
    reused = signed_hotlines.nl.post(
        path, content=other, headers={**headers, **signature_headers(nl_key, other.encode(), "a-1")}
    )

    assert unsigned.status_code == 401
    assert signed.status_code == 201
    assert replayed.status_code == 200
    assert replayed.json()["id"] == signed.json()["id"]
    assert reused.status_code == 409
    # A signed action names its referral, so it cannot be replayed against another.
    assert unbound.status_code == 422
    assert unbound.json()["errors"][0]["loc"] == ["body", "referral"]
    assert elsewhere.status_code == 422


def test_an_assessment_records_gender_virtual_and_commercial(hotlines: Exchange) -> None:
    assessment = {
        "classification": "baseline",
        "age_group": "pubescent",
        "gender": "female",
        "virtual": True,
        "commercial": False,
    }
    body = hotlines.submit(assessment=assessment, site_type="image_board")
    referral = hotlines.nl.get(f"/v1/referrals/{body['routing']['referral']}").json()
    bad = hotlines.iwf.post(
        "/v1/reports",
        json=report("BAD", assessment={**assessment, "gender": "other"}, site_type="website"),
    )
    bad_site = hotlines.iwf.post("/v1/reports", json=report("BAD2", site_type="darknet"))

    assert referral["assessment"] == assessment
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "assessment", "gender"]
    assert bad_site.json()["errors"][0]["loc"] == ["body", "site_type"]
