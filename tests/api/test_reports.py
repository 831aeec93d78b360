"""Report intake as a hotline sees it: PROTOCOL.md section 4 field rules and answers."""

import base64
import json
import secrets
from typing import Any

import httpx
import pytest

from tests.conftest import Hub, report

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def _hashes(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "image", "hashes": list(entries)}


def _flip(hex_value: str, bits: int) -> str:
    value = int(hex_value, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


@pytest.fixture
def iwf(api: Hub) -> httpx.Client:
    api.register("NL-MELDPUNT", ["NL"])
    return api.register("GB-IWF", ["GB"])


BAD_REPORTS: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("unknown field", {"colour": "red"}, ["body", "colour"]),
    ("missing url", {"url": None}, ["body", "url"]),
    ("javascript url", {"url": "javascript:alert(1)"}, ["body", "url"]),
    ("ftp url", {"url": "ftp://files.example.net/a.jpg"}, ["body", "url"]),
    ("relative url", {"url": "/a/b.jpg"}, ["body", "url"]),
    ("loopback url", {"url": "http://127.0.0.1/a.jpg"}, ["body", "url"]),
    ("too long url", {"url": "https://files.example.net/" + "a" * 2100}, ["body", "url"]),
    ("private hosting ip", {"hosting_ip": "10.0.0.7"}, ["body", "hosting_ip"]),
    ("loopback hosting ip", {"hosting_ip": "::1"}, ["body", "hosting_ip"]),
    ("not an ip", {"hosting_ip": "files.example.net"}, ["body", "hosting_ip"]),
    ("control character in reference", {"reference": "IWF\n1"}, ["body", "reference"]),
    ("empty reference", {"reference": ""}, ["body", "reference"]),
    ("long reference", {"reference": "R" * 129}, ["body", "reference"]),
    ("observed in the future", {"observed_at": "2999-01-01T00:00:00Z"}, ["body", "observed_at"]),
    ("observed before 1996", {"observed_at": "1995-12-31T23:59:59Z"}, ["body", "observed_at"]),
    ("observed without zone", {"observed_at": "2026-11-24T09:30:00"}, ["body", "observed_at"]),
    (
        "bad kind",
        {"content": {"kind": "text", "hashes": [{"alg": "md5", "value": "0" * 32}]}},
        ["body", "content", "kind"],
    ),
    ("no hashes", {"content": _hashes()}, ["body", "content", "hashes"]),
    (
        "bad hex",
        {"content": _hashes({"alg": "sha256", "value": "z" * 64})},
        ["body", "content", "hashes", 0],
    ),
    (
        "short md5",
        {"content": _hashes({"alg": "md5", "value": "0" * 31})},
        ["body", "content", "hashes", 0],
    ),
    (
        "pdq without quality",
        {"content": _hashes({"alg": "pdq", "value": PDQ})},
        ["body", "content", "hashes", 0],
    ),
    (
        "pdq quality 101",
        {"content": _hashes({"alg": "pdq", "value": PDQ, "quality": 101})},
        ["body", "content", "hashes", 0],
    ),
    (
        "photodna not base64",
        {"content": _hashes({"alg": "photodna", "value": "!!!"})},
        ["body", "content", "hashes", 0],
    ),
    (
        "photodna 143 bytes",
        {"content": _hashes({"alg": "photodna", "value": base64.b64encode(b"p" * 143).decode()})},
        ["body", "content", "hashes", 0],
    ),
    (
        "two sha256",
        {
            "content": _hashes(
                {"alg": "sha256", "value": SHA256}, {"alg": "sha256", "value": SHA256}
            )
        },
        ["body", "content", "hashes"],
    ),
    (
        "unknown alg",
        {"content": _hashes({"alg": "crc32", "value": "00000000"})},
        ["body", "content", "hashes", 0],
    ),
    (
        "bad classification",
        {"assessment": {"classification": "bad", "age_group": "infant"}},
        ["body", "assessment", "classification"],
    ),
    ("bad site type", {"site_type": "darknet"}, ["body", "site_type"]),
]


@pytest.mark.parametrize(("case", "change", "loc"), BAD_REPORTS, ids=[c[0] for c in BAD_REPORTS])
def test_bad_report_is_a_problem_naming_the_field_and_stores_nothing(
    iwf: httpx.Client, case: str, change: dict[str, Any], loc: list[Any]
) -> None:
    body = report()
    body.update(change)
    if change.get("url", "") is None:
        del body["url"]

    answer = iwf.post("/v1/reports", json=body)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422 and problem["type"] and problem["title"]
    locations = [error["loc"] for error in problem["errors"]]
    assert any(location[: len(loc)] == loc for location in locations), locations
    assert iwf.get("/v1/reports").json()["items"] == []


def test_every_bad_field_is_named_at_once(iwf: httpx.Client) -> None:
    body = report(url="ftp://x.example/a", site_type="nowhere", reference="")

    problem = iwf.post("/v1/reports", json=body).json()

    named = {tuple(error["loc"][:2]) for error in problem["errors"]}
    assert {("body", "reference"), ("body", "site_type")} <= named


def test_url_and_hosting_ip_are_both_named(iwf: httpx.Client) -> None:
    problem = iwf.post(
        "/v1/reports", json=report(url="ftp://x.example/", hosting_ip="192.168.0.1")
    ).json()

    assert {tuple(e["loc"]) for e in problem["errors"]} == {("body", "url"), ("body", "hosting_ip")}


def test_malformed_json_is_400(iwf: httpx.Client) -> None:
    answer = iwf.post(
        "/v1/reports", content=b'{"reference": ', headers={"content-type": "application/json"}
    )

    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["loc"] == ["body"]


def test_a_body_that_is_not_json_is_415(iwf: httpx.Client) -> None:
    answer = iwf.post(
        "/v1/reports", content=b"<report/>", headers={"content-type": "application/xml"}
    )

    assert answer.status_code == 415
    assert answer.json()["status"] == 415


def test_image_upload_is_415(iwf: httpx.Client) -> None:
    answer = iwf.post("/v1/reports", files={"file": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")})

    assert answer.status_code == 415


def test_a_report_over_64_kib_is_413_before_parsing(iwf: httpx.Client) -> None:
    body = json.dumps(report(reference="R" * 10)).encode() + b" " * (64 * 1024)

    answer = iwf.post("/v1/reports", content=body, headers={"content-type": "application/json"})

    assert answer.status_code == 413
    assert iwf.get("/v1/reports").json()["items"] == []


def test_a_streamed_body_over_the_limit_is_413(iwf: httpx.Client) -> None:
    def chunks():  # no Content-Length: the hub must count what it reads
        yield b'{"reference": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    answer = iwf.post("/v1/reports", content=chunks(), headers={"content-type": "application/json"})

    assert answer.status_code == 413


def test_new_report_is_201_same_body_again_is_200_other_body_is_409(iwf: httpx.Client) -> None:
    body = report("IWF-7")

    first = iwf.post("/v1/reports", json=body)
    again = iwf.post("/v1/reports", json=body)
    changed = iwf.post("/v1/reports", json={**body, "site_type": "forum"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    assert len(iwf.get("/v1/reports").json()["items"]) == 1


def test_reference_is_unique_per_hotline_not_globally(api: Hub, iwf: httpx.Client) -> None:
    other = api.register("DE-ECO", ["DE"])

    assert iwf.post("/v1/reports", json=report("SAME")).status_code == 201
    assert other.post("/v1/reports", json=report("SAME")).status_code == 201


def test_same_url_from_two_hotlines_opens_one_case_and_one_referral(
    api: Hub, iwf: httpx.Client
) -> None:
    eco = api.register("DE-ECO", ["DE"])

    first = iwf.post("/v1/reports", json=report("A")).json()
    second = eco.post(
        "/v1/reports", json=report("B", url="HTTPS://Files.Example.NET:443/a/%62.jpg#x")
    ).json()

    assert first["case"]["opened"] is True
    assert second["case"] == {**first["case"], "opened": False}
    assert second["routing"] == first["routing"]
    meldpunt = api.client(api.token("hotline", "NL-MELDPUNT"))
    assert len(meldpunt.get("/v1/referrals").json()["items"]) == 1
    referral = meldpunt.get(f"/v1/referrals/{first['routing']['referral']}").json()
    assert referral["reporters"] == ["GB-IWF", "DE-ECO"]
    assert referral["url"] == "https://files.example.net/a/b.jpg"


def test_same_content_at_a_new_url_is_a_new_case_with_a_known_content(iwf: httpx.Client) -> None:
    hashes = _hashes({"alg": "sha256", "value": SHA256})
    first = iwf.post("/v1/reports", json=report("A", content=hashes)).json()

    second = iwf.post(
        "/v1/reports", json=report("B", url="https://files.example.net/c.jpg", content=hashes)
    ).json()

    assert second["case"]["opened"] is True and second["case"]["id"] != first["case"]["id"]
    assert second["content"] == {
        "id": first["content"]["id"],
        "known": True,
        "match": {
            "alg": "sha256",
            "distance": 0,
            "content": first["content"]["id"],
            "lists": [],
        },
    }


def test_hex_is_matched_case_insensitively(iwf: httpx.Client) -> None:
    first = iwf.post(
        "/v1/reports", json=report("A", content=_hashes({"alg": "md5", "value": "ab" * 16}))
    ).json()
    second = iwf.post(
        "/v1/reports",
        json=report(
            "B",
            url="https://files.example.net/2",
            content=_hashes({"alg": "md5", "value": "AB" * 16}),
        ),
    ).json()

    assert second["content"]["id"] == first["content"]["id"]


@pytest.mark.parametrize(("distance", "matches"), [(0, True), (31, True), (32, False)])
def test_pdq_within_31_bits_is_the_same_content(
    iwf: httpx.Client, distance: int, matches: bool
) -> None:
    first = iwf.post(
        "/v1/reports",
        json=report("A", content=_hashes({"alg": "pdq", "value": PDQ, "quality": 90})),
    ).json()
    near = _hashes({"alg": "pdq", "value": _flip(PDQ, distance), "quality": 80})

    second = iwf.post(
        "/v1/reports", json=report("B", url="https://files.example.net/other", content=near)
    ).json()

    assert second["content"]["known"] is matches
    if matches:
        assert second["content"]["match"] == {
            "alg": "pdq",
            "distance": distance,
            "content": first["content"]["id"],
            "lists": [],
        }


def test_pdq_below_quality_50_never_matches(iwf: httpx.Client) -> None:
    iwf.post(
        "/v1/reports",
        json=report("A", content=_hashes({"alg": "pdq", "value": PDQ, "quality": 49})),
    )
    near = _hashes({"alg": "pdq", "value": _flip(PDQ, 3), "quality": 90})

    second = iwf.post(
        "/v1/reports", json=report("B", url="https://files.example.net/other", content=near)
    ).json()

    assert second["content"]["known"] is False


@pytest.mark.parametrize(
    ("url", "hosting_ip", "hosting", "routing"),
    [
        (
            "https://files.example.net/x",
            None,
            {
                "ip": "203.0.113.7",
                "country": "NL",
                "source": "resolved",
                "cdn": None,
                "network": None,
            },
            ("NL-MELDPUNT", "hosting_country"),
        ),
        (
            "https://a.example/x",
            "203.0.113.8",
            {
                "ip": "203.0.113.8",
                "country": "NL",
                "source": "reported",
                "cdn": None,
                "network": None,
            },
            ("NL-MELDPUNT", "hosting_country"),
        ),
        (
            "https://a.example/x",
            "203.0.113.200",
            {
                "ip": "203.0.113.200",
                "country": "GB",
                "source": "reported",
                "cdn": None,
                "network": None,
            },
            (None, "domestic"),
        ),
        (
            "https://images.example.de/x",
            None,
            {
                "ip": "198.51.100.20",
                "country": "DE",
                "source": "resolved",
                "cdn": None,
                "network": None,
            },
            (None, "no_member_hotline"),
        ),
        (
            "https://nowhere.example.org/x",
            None,
            {"ip": None, "country": None, "source": "unresolvable", "cdn": None, "network": None},
            (None, "unresolvable"),
        ),
        (
            "https://private.example.com/x",
            None,
            {"ip": None, "country": None, "source": "unresolvable", "cdn": None, "network": None},
            (None, "unresolvable"),
        ),
        (
            "https://unmapped.example.com/x",
            None,
            {
                "ip": "192.0.2.99",
                "country": None,
                "source": "resolved",
                "cdn": None,
                "network": None,
            },
            (None, "unresolvable"),
        ),
        (
            "https://v6only.example.fr/x",
            None,
            {
                "ip": "2001:db8:fe::1",
                "country": "FR",
                "source": "resolved",
                "cdn": None,
                "network": None,
            },
            (None, "no_member_hotline"),
        ),
        (
            "http://[2001:db8:fe::9]/x",
            None,
            {
                "ip": "2001:db8:fe::9",
                "country": "FR",
                "source": "resolved",
                "cdn": None,
                "network": None,
            },
            (None, "no_member_hotline"),
        ),
    ],
)
def test_hosting_and_routing_follow_section_4_2(
    iwf: httpx.Client,
    url: str,
    hosting_ip: str | None,
    hosting: dict[str, Any],
    routing: tuple[str | None, str],
) -> None:
    fields = {"hosting_ip": hosting_ip} if hosting_ip else {}

    body = iwf.post("/v1/reports", json=report(url=url, **fields)).json()

    assert body["hosting"] == hosting
    assert (body["routing"]["to"], body["routing"]["reason"]) == routing
    assert (body["routing"]["referral"] is not None) == (routing[1] == "hosting_country")


def test_a_batch_answers_each_item_in_order_and_one_bad_item_rejects_nothing_else(
    iwf: httpx.Client,
) -> None:
    good = report("B1")
    items = [
        good,
        report("B2", url="javascript:x"),
        good,
        {**good, "site_type": "forum"},
        report("B3", url="https://files.example.net/3"),
    ]

    answer = iwf.post("/v1/reports:batch", json={"reports": items})

    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 200, 409, 201]
    assert results[1]["errors"][0]["loc"] == ["body", "reports", 1, "url"]
    assert results[2]["id"] == results[0]["id"]
    assert len(iwf.get("/v1/reports").json()["items"]) == 2


def test_a_batch_of_1001_is_413_and_an_empty_one_is_422(iwf: httpx.Client) -> None:
    too_many = {"reports": [report(f"R{i}") for i in range(1001)]}

    assert iwf.post("/v1/reports:batch", json=too_many).status_code == 413
    assert iwf.post("/v1/reports:batch", json={"reports": []}).status_code == 422
    assert iwf.get("/v1/reports").json()["items"] == []


def test_own_reports_are_listed_with_a_cursor_and_others_are_404(
    api: Hub, iwf: httpx.Client
) -> None:
    ids = [
        iwf.post("/v1/reports", json=report(f"L{i}", url=f"https://files.example.net/{i}")).json()[
            "id"
        ]
        for i in range(5)
    ]
    other = api.register("DE-ECO", ["DE"])

    seen, cursor = [], None
    while True:
        page = iwf.get(
            "/v1/reports", params={"limit": 2, **({"after": cursor} if cursor else {})}
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break

    assert seen == ids
    assert iwf.get(f"/v1/reports/{ids[0]}").json()["id"] == ids[0]
    assert other.get(f"/v1/reports/{ids[0]}").status_code == 404
    assert other.get("/v1/reports").json()["items"] == []
    assert iwf.get("/v1/reports", params={"limit": 1001}).status_code == 422


def test_a_report_with_random_content_never_matches(iwf: httpx.Client) -> None:
    body = iwf.post(
        "/v1/reports", json=report(content=_hashes({"alg": "sha1", "value": secrets.token_hex(20)}))
    ).json()

    assert body["content"]["known"] is False and body["content"]["match"] is None


def test_concurrent_single_reports_each_get_their_own_answer(api: Hub, iwf: httpx.Client) -> None:
    """Concurrent POSTs share transactions (group commit); each answer is still its own."""
    from concurrent.futures import ThreadPoolExecutor

    eco = api.register("DE-ECO", ["DE"])
    bodies = [
        (iwf, report(f"C{i}", url=f"https://files.example.net/c/{i % 10}")) for i in range(30)
    ]
    bodies += [
        (eco, report(f"C{i}", url=f"https://files.example.net/c/{i % 10}")) for i in range(10)
    ]
    repeated = report("SAME", url="https://files.example.net/same")
    bodies += [(iwf, repeated)] * 5

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda pair: pair[0].post("/v1/reports", json=pair[1]), bodies))

    statuses = [a.status_code for a in answers]
    assert statuses[:40] == [201] * 40, [a.text for a in answers if a.status_code != 201]
    assert sorted(statuses[40:]) == [200, 200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers[40:]}) == 1
    cases = {a.json()["case"]["id"] for a in answers[:40]}
    assert len(cases) == 10
    assert sum(a.json()["case"]["opened"] for a in answers[:40]) == 10
    for answer, (_, body) in zip(answers, bodies, strict=True):
        assert answer.json()["reference"] == body["reference"]
    assert len(iwf.get("/v1/reports", params={"limit": 1000}).json()["items"]) == 31


def test_logs_at_info_never_name_a_reported_url_or_hash(
    iwf: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    body = report("LOGGED", url="https://files.example.net/secret/path.jpg")
    body["content"]["hashes"].append({"alg": "pdq", "value": PDQ, "quality": 90})

    iwf.post("/v1/reports", json=body)
    iwf.post("/v1/reports", json=body)
    iwf.post("/v1/reports", json={**body, "url": "ftp://files.example.net/secret/"})

    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "/v1/reports" in logged  # the requests were logged, without what they carried
    assert "secret" not in logged and "files.example.net" not in logged
    for entry in body["content"]["hashes"]:
        assert entry["value"] not in logged


def test_the_pdq_threshold_is_the_operators_to_set(settings_for) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import ServerThread

    with ServerThread(settings_for(pdq_threshold=10)) as server:
        api = Hub(server.url)
        iwf = api.register("GB-IWF", ["GB"])
        first = _hashes({"alg": "pdq", "value": PDQ, "quality": 90})
        iwf.post("/v1/reports", json=report("A", url="https://files.example.net/1", content=first))
        answers = [
            iwf.post(
                "/v1/reports",
                json=report(
                    f"D{bits}",
                    url=f"https://files.example.net/d{bits}",
                    content=_hashes({"alg": "pdq", "value": _flip(PDQ, bits), "quality": 90}),
                ),
            ).json()
            for bits in (11, 10)  # 11 first: 10 bits away is 1 bit from the 11-bit hash
        ]
        api.close()

    assert [a["content"]["known"] for a in answers] == [False, True]


def test_a_referral_announced_shows_its_content_as_the_referral_reads_back(
    api: Hub, iwf: httpx.Client
) -> None:
    # The second item joins the first's new content by md5 and brings two more hashes to
    # it, one of them a second sha256: the event written as the content is created must
    # list every hash the content has once the batch commits, in the order a read gives.
    md5 = secrets.token_hex(16)
    pdq = secrets.token_hex(32)
    items = [
        report(
            "A",
            url="https://files.example.net/one.jpg",
            content=_hashes({"alg": "sha256", "value": "f" * 64}, {"alg": "md5", "value": md5}),
        ),
        report(
            "B",
            url="https://files.example.net/two.jpg",
            content=_hashes(
                {"alg": "md5", "value": md5},
                {"alg": "sha256", "value": "0" * 64},
                {"alg": "pdq", "value": pdq, "quality": 77},
            ),
        ),
    ]
    answers = iwf.post("/v1/reports:batch", json={"reports": items}).json()["results"]
    meldpunt = api.client(api.token("hotline", "NL-MELDPUNT"))

    announced = {
        e["data"]["id"]: e["data"]
        for e in meldpunt.get("/v1/events").json()["items"]
        if e["type"] == "referral.created"
    }
    referrals = [a["routing"]["referral"] for a in answers]
    assert sorted(announced) == sorted(referrals)
    for referral_id in referrals:
        read = meldpunt.get(f"/v1/referrals/{referral_id}").json()
        assert announced[referral_id]["content"] == read["content"]
        assert announced[referral_id]["reporters"] == read["reporters"] == ["GB-IWF"]
    assert [h["alg"] for h in read["content"]["hashes"]] == ["md5", "pdq", "sha256", "sha256"]
    assert read["content"]["hashes"][1] == {"alg": "pdq", "value": pdq, "quality": 77}
