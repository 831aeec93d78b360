"""Hash lists (admin): create, import in parts, publish, retract; reports learn that their
content is on a list, and keep what they matched after a retraction."""

import json
import secrets
from typing import Any

import httpx

from tests.conftest import Hub, report

NDJSON = {"content-type": "application/x-ndjson"}
CSV = {"content-type": "text/csv"}


def ndjson(entries: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in entries)


def new_list(api: Hub, list_id: str = "iwf-hashes", source: str = "IWF") -> int:
    created = api.admin.post("/v1/lists", json={"id": list_id, "name": "IWF", "source": source})
    assert created.status_code == 201, created.text
    opened = api.admin.post(f"/v1/lists/{list_id}/versions")
    assert opened.status_code == 201, opened.text
    return opened.json()["version"]


def publish(api: Hub, list_id: str, version: int) -> httpx.Response:
    return api.admin.post(f"/v1/lists/{list_id}/versions/{version}:publish")


def import_entries(api: Hub, list_id: str, entries: list[dict[str, Any]]) -> int:
    version = (
        new_list(api, list_id)
        if api.admin.get(f"/v1/lists/{list_id}").status_code == 404
        else (api.admin.post(f"/v1/lists/{list_id}/versions").json()["version"])
    )
    part = api.admin.post(
        f"/v1/lists/{list_id}/versions/{version}/entries", content=ndjson(entries), headers=NDJSON
    )
    assert part.status_code == 201, part.text
    assert publish(api, list_id, version).status_code == 200
    return version


def with_hashes(reference: str, hashes: list[dict[str, Any]], url: str | None = None) -> dict:
    body = report(reference, url or f"https://files.example.net/{reference}.jpg")
    body["content"]["hashes"] = hashes
    return body


def test_an_imported_hash_makes_a_new_report_known_with_list_and_category(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    md5 = secrets.token_hex(16)
    import_entries(api, "iwf-hashes", [{"alg": "md5", "value": md5.upper(), "category": "A1"}])

    answer = iwf.post("/v1/reports", json=with_hashes("R-1", [{"alg": "md5", "value": md5}]))

    assert answer.status_code == 201, answer.text
    content = answer.json()["content"]
    assert content["known"] is True
    assert content["match"] == {
        "alg": "md5",
        "distance": 0,
        "content": content["id"],
        "lists": [{"id": "iwf-hashes", "category": "A1"}],
    }
    unlisted = iwf.post("/v1/reports", json=report("R-2", "https://files.example.net/z.jpg"))
    assert unlisted.json()["content"]["known"] is False
    assert unlisted.json()["content"]["match"] is None


def test_a_near_pdq_on_a_list_is_found(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    listed = bytearray(secrets.token_bytes(32))
    original = listed.hex()
    import_entries(
        api, "ncmec", [{"alg": "pdq", "value": listed.hex(), "quality": 90, "category": "B1"}]
    )
    listed[0] ^= 0b111  # three bits away
    body = with_hashes("R-1", [{"alg": "pdq", "value": listed.hex(), "quality": 80}])

    content = iwf.post("/v1/reports", json=body).json()["content"]

    assert content["known"] is True
    assert content["match"]["alg"] == "pdq" and content["match"]["distance"] == 3
    assert content["match"]["lists"] == [{"id": "ncmec", "category": "B1"}]
    # Retracted, the listed PDQ hash no longer makes new content known.
    gone = api.admin.post(
        "/v1/lists/ncmec/retractions", json={"entries": [{"alg": "pdq", "value": original}]}
    )
    assert gone.json()["retracted"] == 1
    listed[1] ^= 0b1
    later = with_hashes("R-2", [{"alg": "pdq", "value": listed.hex(), "quality": 80}])
    answer = iwf.post("/v1/reports", json=later).json()["content"]
    # Still near the hub's own content of R-1, but on no list any more.
    assert answer["known"] is True and answer["match"]["lists"] == []


def test_a_version_is_invisible_until_published(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    sha1 = secrets.token_hex(20)
    version = new_list(api)
    part = api.admin.post(
        f"/v1/lists/iwf-hashes/versions/{version}/entries",
        content=ndjson([{"alg": "sha1", "value": sha1}]),
        headers=NDJSON,
    )
    assert part.status_code == 201

    before = iwf.post("/v1/reports", json=with_hashes("R-1", [{"alg": "sha1", "value": sha1}]))
    assert before.json()["content"]["known"] is False
    assert publish(api, "iwf-hashes", version).json()["state"] == "published"
    after = iwf.post(
        "/v1/reports", json=with_hashes("R-2", [{"alg": "sha1", "value": secrets.token_hex(20)}])
    )
    assert after.json()["content"]["known"] is False
    # Another URL, same hash: known now, from the hub's own content and from the list.
    again = iwf.post(
        "/v1/reports",
        json=with_hashes("R-3", [{"alg": "sha1", "value": sha1}], "https://files.example.net/o"),
    )
    assert again.json()["content"]["match"]["lists"] == [{"id": "iwf-hashes", "category": None}]
    assert publish(api, "iwf-hashes", version).status_code == 409


def test_bad_lines_are_per_line_problems_and_the_part_is_not_taken(api: Hub) -> None:
    version = new_list(api)
    body = (
        json.dumps({"alg": "md5", "value": secrets.token_hex(16)}).encode()
        + b"\n"
        + b'{"alg": "md5", "value": "xyz"}\n'
        + b"not json\n"
        + json.dumps({"alg": "sha1", "value": secrets.token_hex(20), "quality": 5}).encode()
        + b"\n"
        + b'{"alg": "crc32", "value": "00"}\n'
    )

    answer = api.admin.post(
        f"/v1/lists/iwf-hashes/versions/{version}/entries?first_line=101",
        content=body,
        headers=NDJSON,
    )

    assert answer.status_code == 422, answer.text
    assert [(e["line"], e["loc"]) for e in answer.json()["errors"]] == [
        (102, ["line", 102, "value"]),
        (103, ["line", 103]),
        (104, ["line", 104, "quality"]),
        (105, ["line", 105, "alg"]),
    ]
    status = api.admin.get(f"/v1/lists/iwf-hashes/versions/{version}").json()
    assert status["entries"] == 0 and status["parts"] == 0


def test_csv_parts_are_taken_and_a_repeated_part_changes_nothing(api: Hub) -> None:
    version = new_list(api)
    rows = "".join(f"md5,{secrets.token_hex(16)},,A2\n" for _ in range(5))
    body = ("alg,value,quality,category\n" + rows).encode()
    path = f"/v1/lists/iwf-hashes/versions/{version}/entries?part=1"

    first = api.admin.post(path, content=body, headers=CSV)
    again = api.admin.post(path, content=body, headers=CSV)

    assert first.status_code == 201 and first.json()["entries"] == 5
    assert first.json()["last_line"] == 5
    assert again.status_code == 200 and again.json()["created"] is False
    status = api.admin.get(f"/v1/lists/iwf-hashes/versions/{version}").json()
    assert (status["entries"], status["parts"], status["last_line"]) == (5, 1, 5)
    bad_header = api.admin.post(
        f"/v1/lists/iwf-hashes/versions/{version}/entries?part=2",
        content=b"hash,kind\n",
        headers=CSV,
    )
    assert bad_header.status_code == 422


def test_retraction_hides_entries_but_reports_keep_what_they_matched(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    kept, dropped = secrets.token_hex(32), secrets.token_hex(32)
    version = import_entries(
        api, "iwf-hashes", [{"alg": "sha256", "value": v} for v in (kept, dropped)]
    )
    first = iwf.post(
        "/v1/reports", json=with_hashes("R-1", [{"alg": "sha256", "value": dropped}])
    ).json()

    retracted = api.admin.post(
        "/v1/lists/iwf-hashes/retractions", json={"entries": [{"alg": "sha256", "value": dropped}]}
    )
    assert retracted.json() == {"list": "iwf-hashes", "retracted": 1}
    other = secrets.token_hex(32)
    # A third hash joined later, never seen by the hub: no longer on any list once retracted.
    version_two = import_entries(api, "iwf-hashes", [{"alg": "sha256", "value": other}])
    assert (
        api.admin.post(f"/v1/lists/iwf-hashes/versions/{version_two}:retract").json()["state"]
        == "retracted"
    )
    late = iwf.post("/v1/reports", json=with_hashes("R-2", [{"alg": "sha256", "value": other}]))
    assert late.json()["content"]["known"] is False
    still = iwf.post("/v1/reports", json=with_hashes("R-3", [{"alg": "sha256", "value": kept}]))
    assert still.json()["content"]["match"]["lists"] == [{"id": "iwf-hashes", "category": None}]

    stored = iwf.get(f"/v1/reports/{first['id']}").json()
    assert stored["content"]["match"]["lists"] == [{"id": "iwf-hashes", "category": None}]
    assert version == 1


def test_lists_are_admin_only_and_unknown_lists_are_404(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    assert (
        iwf.post("/v1/lists", json={"id": "x1", "name": "x", "source": "local"}).status_code == 403
    )
    assert api.admin.get("/v1/lists/none-such").status_code == 404
    assert api.admin.post("/v1/lists/none-such/versions").status_code == 404
    answer = api.admin.post(
        "/v1/lists/none-such/versions/1/entries", content=b"{}\n", headers=NDJSON
    )
    assert answer.status_code == 404
    new_list(api)
    wrong = api.admin.post(
        "/v1/lists/iwf-hashes/versions/1/entries",
        content=b"a",
        headers={"content-type": "text/plain"},
    )
    assert wrong.status_code == 415
    again = api.admin.post("/v1/lists", json={"id": "iwf-hashes", "name": "x", "source": "IWF"})
    assert again.status_code == 409


def test_statistics_count_new_and_known_content(api: Hub) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    md5 = secrets.token_hex(16)
    import_entries(api, "iwf-hashes", [{"alg": "md5", "value": md5}])
    iwf.post("/v1/reports", json=with_hashes("R-1", [{"alg": "md5", "value": md5}]))
    iwf.post("/v1/reports", json=report("R-2", "https://files.example.net/2.jpg"))

    content = api.admin.get("/v1/stats").json()["content"]

    assert content == {"new": 1, "known": 1, "on_lists": 1}


def test_part_line_and_version_numbers_past_a_database_integer_are_422(api: Hub) -> None:
    """Found by schemathesis: these were 500s (integer overflow, on PostgreSQL from 2**31)."""
    version = new_list(api)
    entries = f"/v1/lists/iwf-hashes/versions/{version}/entries"
    header = b"alg,value,quality,category\n"
    line = f"md5,{secrets.token_hex(16)},,\n".encode()
    for params, content, field in (
        ({"part": 2**31}, header, "part"),
        ({"part": 1, "first_line": 2**31}, header, "first_line"),
        ({"part": 2, "first_line": 2**31 - 1}, header + line + line, "first_line"),
    ):
        answer = api.admin.post(entries, params=params, content=content, headers=CSV)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["query", field]
    for path in (f"versions/{2**31}", f"versions/{2**63 - 2}:publish"):
        answer = api.admin.request(
            "GET" if ":" not in path else "POST", f"/v1/lists/iwf-hashes/{path}"
        )
        assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == [
            "path",
            "version",
        ]
    # The last line that fits is taken.
    fits = api.admin.post(
        entries, params={"part": 3, "first_line": 2**31 - 1}, content=header + line, headers=CSV
    )
    assert fits.status_code == 201, fits.text


def test_a_retraction_of_10000_values_fits_its_body_limit(api: Hub) -> None:
    values = [secrets.token_hex(32) for _ in range(10000)]
    import_entries(api, "iwf-hashes", [{"alg": "sha256", "value": v} for v in values[:2]])
    entries = [{"alg": "sha256", "value": v} for v in values]  # about 880 KB of JSON
    retracted = api.admin.post("/v1/lists/iwf-hashes/retractions", json={"entries": entries})
    assert retracted.status_code == 200, retracted.text
    assert retracted.json() == {"list": "iwf-hashes", "retracted": 2}


def test_a_list_name_or_retracted_value_with_a_control_character_is_422(api: Hub) -> None:
    # Found by schemathesis on PostgreSQL: a NUL in a name reached the database (500).
    for name in ("IWF\u0000list", "IWF\nlist"):
        body = {"id": "iwf-hashes", "name": name, "source": "IWF"}
        answer = api.admin.post("/v1/lists", json=body)
        assert answer.status_code == 422, answer.text
        assert ["body", "name"] in [e["loc"] for e in answer.json()["errors"]]
    new_list(api)
    retraction = {"entries": [{"alg": "md5", "value": "d41d8cd9\u0000"}]}
    answer = api.admin.post("/v1/lists/iwf-hashes/retractions", json=retraction)
    assert answer.status_code == 422, answer.text
