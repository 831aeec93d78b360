"""Cases and their status: closing and re-reporting a URL, domestic cases moved by their
reporter, and who may see or move which case or referral (need to know, 404)."""

from tests.referrals.exchange import Exchange, Recorded

# 203.0.113.128/25 is GB in the tests' geolocation database: GB-IWF's own country.
DOMESTIC = {"hosting_ip": "203.0.113.200"}


def test_a_removed_url_reported_again_opens_a_new_case_linked_to_the_old(
    hotlines: Exchange,
) -> None:
    case, referral = hotlines.referral()
    url = hotlines.case(case)["url"]
    hotlines.walk(referral, ["delivered", "accepted", "notice_sent", "removed"])

    again = hotlines.submit(url=url)

    assert again["case"]["opened"] is True
    assert again["case"]["id"] != case
    assert again["routing"]["reason"] == "hosting_country"
    assert hotlines.case(again["case"]["id"])["previous_case"] == case
    new_referral = hotlines.nl.get(f"/v1/referrals/{again['routing']['referral']}").json()
    assert new_referral["previous_case"] == case
    assert new_referral["status"] == "pending"
    assert hotlines.case(case)["status"] == "removed"


def test_content_gone_also_frees_the_url(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()
    url = hotlines.case(case)["url"]
    hotlines.walk(referral, ["delivered", "accepted", "content_gone"])

    again = hotlines.submit(url=url)

    assert again["case"]["opened"] is True
    assert hotlines.case(again["case"]["id"])["previous_case"] == case


def test_a_not_illegal_url_reported_again_joins_its_case_without_a_new_referral(
    hotlines: Exchange,
) -> None:
    case, referral = hotlines.referral()
    url = hotlines.case(case)["url"]
    hotlines.walk(referral, ["delivered", "accepted", "not_illegal"])
    inbox_before = hotlines.nl.get("/v1/referrals").json()["items"]

    again = hotlines.submit(url=url)

    assert again["case"] == {"id": case, "opened": False, "status": "not_illegal"}
    assert hotlines.nl.get("/v1/referrals").json()["items"] == inbox_before


def test_a_domestic_case_is_moved_by_its_reporter_from_pending_to_accepted_and_on(
    hotlines: Exchange, recorded: Recorded
) -> None:
    body = hotlines.submit(**DOMESTIC)
    case = body["case"]["id"]
    assert body["routing"] == {"to": None, "referral": None, "reason": "domestic"}

    def post(status: str) -> dict:
        answer = hotlines.iwf.post(
            f"/v1/cases/{case}/status",
            json={"status": status, "occurred_at": hotlines.next_stamp()},
        )
        return {"code": answer.status_code, **answer.json()}

    refused = post("delivered")
    assert refused["code"] == 409
    assert refused["allowed"] == ["accepted"]
    for status in ("accepted", "notice_sent", "notice_sent", "removed"):
        answer = post(status)
        assert answer["code"] == 200, answer
        assert answer["id"] == case
        assert answer["status"] == status
        assert answer["referral"] is None
    final = post("accepted")
    assert final["code"] == 409
    assert final["allowed"] == []

    assert [status for _, status in hotlines.history(case)] == [
        "accepted",
        "notice_sent",
        "notice_sent",
        "removed",
    ]
    assert hotlines.iwf.get(f"/v1/cases/{case}").json()["status"] == "removed"
    assert [kind for kind, _ in recorded.leaves][-1] == "case.status"
    to, data = recorded.of("case.status_changed")[-1]
    assert to == ["GB-IWF"]
    assert (data["referral"], data["status"], data["previous_status"]) == (
        None,
        "removed",
        "notice_sent",
    )
    # The URL is free again: a re-upload opens a new domestic case.
    again = hotlines.submit(url=hotlines.case(case)["url"], **DOMESTIC)
    assert again["case"]["opened"] is True
    assert hotlines.case(again["case"]["id"])["previous_case"] == case


def test_a_domestic_status_repeat_is_idempotent(hotlines: Exchange) -> None:
    case = hotlines.submit(**DOMESTIC)["case"]["id"]
    body = {"status": "accepted", "occurred_at": hotlines.next_stamp()}

    first = hotlines.iwf.post(f"/v1/cases/{case}/status", json=body)
    again = hotlines.iwf.post(f"/v1/cases/{case}/status", json=body)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert hotlines.history(case) == [(None, "accepted")]


def test_a_referred_case_is_not_moved_through_the_case_endpoint(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()

    answer = hotlines.iwf.post(
        f"/v1/cases/{case}/status",
        json={"status": "accepted", "occurred_at": hotlines.next_stamp()},
    )

    assert answer.status_code == 409
    assert answer.json()["allowed"] == []
    assert referral in answer.json()["detail"]


def test_a_reporter_follows_the_status_of_its_case(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()
    hotlines.walk(referral, ["delivered", "accepted"])

    answer = hotlines.iwf.get(f"/v1/cases/{case}")

    assert answer.status_code == 200
    body = answer.json()
    assert (body["id"], body["status"], body["referral"]) == (case, "accepted", referral)
    assert body["reporters"] == ["GB-IWF"]
    assert body["routing_reason"] == "hosting_country"
    report = hotlines.iwf.get("/v1/reports").json()["items"][0]
    assert report["case"]["status"] == "accepted"


def test_other_hotlines_get_404_for_referrals_and_cases_not_theirs(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()
    hotlines.deliver(referral)
    domestic = hotlines.submit(**DOMESTIC)["case"]["id"]
    move = {"status": "accepted", "occurred_at": hotlines.next_stamp()}

    # DE-ECO is no party; GB-IWF reported the case but the referral is not addressed to it.
    for client in (hotlines.de, hotlines.iwf):
        answer = client.post(f"/v1/referrals/{referral}/status", json=move)
        assert answer.status_code == 404, answer.text
    assert hotlines.de.post("/v1/referrals/ref_nope/status", json=move).status_code == 404
    # NL-MELDPUNT handles the referral but did not report the case.
    for client in (hotlines.nl, hotlines.de):
        assert client.get(f"/v1/cases/{case}").status_code == 404
        assert client.get(f"/v1/cases/{domestic}").status_code == 404
        assert client.post(f"/v1/cases/{domestic}/status", json=move).status_code == 404
    assert hotlines.iwf.get("/v1/cases/cas_nope").status_code == 404
    assert hotlines.nl.get(f"/v1/referrals/{referral}").json()["status"] == "delivered"
    assert hotlines.case(domestic)["status"] == "pending"


def test_only_hotlines_post_status_and_auditors_read_no_case(hotlines: Exchange) -> None:
    case, referral = hotlines.referral()
    auditor = hotlines.api.client(hotlines.api.token("auditor", "oversight"))
    move = {"status": "accepted", "occurred_at": hotlines.next_stamp()}

    assert hotlines.api.admin.post(f"/v1/referrals/{referral}/status", json=move).status_code == 403
    assert auditor.get(f"/v1/cases/{case}").status_code == 403
    assert hotlines.api.client().get(f"/v1/cases/{case}").status_code == 401
    assert (
        hotlines.api.client().post(f"/v1/referrals/{referral}/status", json=move).status_code == 401
    )


def test_a_hotline_that_joined_a_domestic_case_follows_it_but_does_not_move_it(
    hotlines: Exchange,
) -> None:
    body = hotlines.submit(**DOMESTIC)
    case = body["case"]["id"]
    pharos = hotlines.api.register("FR-PHAROS", ["FR"])
    joined = hotlines.submit(client=pharos, url=hotlines.case(case)["url"], **DOMESTIC)
    assert joined["case"]["id"] == case
    move = {"status": "accepted", "occurred_at": hotlines.next_stamp()}

    refused = pharos.post(f"/v1/cases/{case}/status", json=move)

    assert refused.status_code == 409
    assert refused.json()["allowed"] == []
    assert hotlines.iwf.post(f"/v1/cases/{case}/status", json=move).status_code == 200
    assert pharos.get(f"/v1/cases/{case}").json()["status"] == "accepted"
