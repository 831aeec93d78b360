"""`rerouted`: the referral ends and the hub routes the case to the named country's
hotline, to its reporter (domestic) or to the admin's unassigned queue."""

from tests.referrals.exchange import Exchange, Recorded


def test_a_reroute_to_a_country_with_a_hotline_opens_a_referral_there(
    hotlines: Exchange, recorded: Recorded
) -> None:
    case, old = hotlines.referral()
    hotlines.walk(old, ["delivered", "accepted"])
    at = hotlines.next_stamp()

    answer = hotlines.post(old, "rerouted", at, country="DE")

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "rerouted"
    [new] = hotlines.de.get("/v1/referrals").json()["items"]
    assert new["case"] == case
    assert new["status"] == "pending"
    assert new["hosting"]["country"] == "DE"
    followed = hotlines.case(case)
    assert (followed["status"], followed["referral"]) == ("pending", new["id"])
    assert followed["routing_reason"] == "hosting_country"
    assert hotlines.iwf.get(f"/v1/cases/{case}").json()["status"] == "pending"

    [(to, data)] = recorded.of("referral.rerouted")
    assert to == ["NL-MELDPUNT", "DE-ECO"]
    assert data == {"case": case, "referral": old, "new_referral": new["id"], "country": "DE"}
    assert recorded.of("referral.created")[-1] == (["DE-ECO"], new)
    to, data = recorded.of("case.status_changed")[-1]
    assert to == ["GB-IWF"]
    assert data == {
        "case": case,
        "referral": new["id"],
        "status": "pending",
        "occurred_at": at,
        "previous_status": "accepted",
        "rerouted_from": old,
    }
    leaf = dict(recorded.leaves)["referral.rerouted"]
    assert (leaf["actor"], leaf["referral"], leaf["to"], leaf["country"]) == (
        "NL-MELDPUNT",
        old,
        "DE-ECO",
        "DE",
    )

    # The new referral runs the graph from the start; the old one is final.
    hotlines.deliver(new["id"])
    assert hotlines.post(new["id"], "accepted", client=hotlines.de).status_code == 200
    assert hotlines.case(case)["status"] == "accepted"
    assert hotlines.post(old, "accepted").status_code == 409
    # The repeat of the reroute is idempotent and opens nothing more.
    assert hotlines.post(old, "rerouted", at, country="DE").status_code == 200
    assert len(hotlines.de.get("/v1/referrals").json()["items"]) == 1


def test_a_reroute_to_a_country_without_a_hotline_goes_to_the_unassigned_queue(
    hotlines: Exchange, recorded: Recorded
) -> None:
    case, old = hotlines.referral()
    hotlines.walk(old, ["delivered", "accepted"])

    answer = hotlines.post(old, "rerouted", country="FR")

    assert answer.status_code == 200, answer.text
    queue = hotlines.api.admin.get("/v1/cases", params={"routing": "unassigned"}).json()
    [queued] = queue["items"]
    assert queued["id"] == case
    assert queued["routing_reason"] == "no_member_hotline"
    assert queued["hosting"]["country"] == "FR"
    assert (queued["status"], queued["referral"]) == ("pending", None)
    [(to, data)] = recorded.of("referral.rerouted")
    assert to == ["NL-MELDPUNT"]
    assert data["new_referral"] is None

    # The admin routes it by hand once France has a member.
    hotlines.api.register("FR-PHAROS", ["FR"])
    routed = hotlines.api.admin.post(f"/v1/cases/{case}/route", json={"hotline": "FR-PHAROS"})
    assert routed.status_code == 200, routed.text
    assert routed.json()["status"] == "pending"
    assert routed.json()["referral"] is not None


def test_a_reroute_to_the_reporters_own_country_makes_the_case_domestic(
    hotlines: Exchange,
) -> None:
    case, old = hotlines.referral()
    hotlines.walk(old, ["delivered", "accepted"])

    assert hotlines.post(old, "rerouted", country="GB").status_code == 200

    followed = hotlines.iwf.get(f"/v1/cases/{case}").json()
    assert (followed["routing_reason"], followed["status"], followed["referral"]) == (
        "domestic",
        "pending",
        None,
    )
    answer = hotlines.iwf.post(
        f"/v1/cases/{case}/status",
        json={"status": "accepted", "occurred_at": hotlines.next_stamp()},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"


def test_a_domestic_case_may_be_rerouted_abroad(hotlines: Exchange) -> None:
    case = hotlines.submit(hosting_ip="203.0.113.200")["case"]["id"]
    post = lambda body: hotlines.iwf.post(f"/v1/cases/{case}/status", json=body)  # noqa: E731
    assert post({"status": "accepted", "occurred_at": hotlines.next_stamp()}).status_code == 200
    own = post({"status": "rerouted", "occurred_at": hotlines.next_stamp(), "country": "GB"})
    assert own.status_code == 422

    answer = post({"status": "rerouted", "occurred_at": hotlines.next_stamp(), "country": "NL"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "pending"
    [referral] = hotlines.nl.get("/v1/referrals").json()["items"]
    assert answer.json()["referral"] == referral["id"]
    assert hotlines.history(case) == [(None, "accepted"), (None, "rerouted")]


def test_a_reroute_to_the_hotlines_own_country_is_refused(hotlines: Exchange) -> None:
    case, old = hotlines.referral()
    hotlines.walk(old, ["delivered", "accepted"])

    answer = hotlines.post(old, "rerouted", country="NL")

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "country"]
    assert hotlines.case(case)["status"] == "accepted"
