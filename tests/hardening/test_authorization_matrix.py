"""Issue 9: the authorization matrix, generated from the OpenAPI document. Every operation
× every principal × (where the path names an object) an object of hotline A and one of
hotline B, answered as docs/protocol.md section 2 says: 401 for a missing or dead token,
403 for the wrong principal, 404 for another hotline's object, never 2xx to one who may
not, never 5xx. An operation the document lists but RULES does not classify fails here.
"""

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from hub.auth.models import Token
from hub.db import Database
from hub.settings import Settings
from schemas.common import format_timestamp
from tests.conftest import ADMIN_TOKEN, ServerThread, report

DEAD = ("none", "bad", "revoked", "expired", "deactivated")
PRINCIPALS = (*DEAD, "auditor", "hotline_a", "hotline_b", "admin")
KIND = {"auditor": "auditor", "hotline_a": "hotline", "hotline_b": "hotline", "admin": "admin"}
OWNER = {"hotline_a": "A", "hotline_b": "B"}
NOW = format_timestamp(datetime.now(UTC) - timedelta(minutes=1))
MD5 = "0" * 31 + "1"


@dataclass
class World:
    """The hub's objects the matrix asks about, by owner ("A" or "B")."""

    clients: dict[str, httpx.Client]
    hotline: dict[str, str] = field(default_factory=lambda: {"A": "NL-HA", "B": "DE-HB"})
    country: dict[str, str] = field(default_factory=lambda: {"A": "NL", "B": "DE"})
    report: dict[str, str] = field(default_factory=dict)  # reported by the owner
    case: dict[str, str] = field(default_factory=dict)  # reported by the owner, referred
    domestic: dict[str, str] = field(default_factory=dict)  # the owner's domestic case
    referral: dict[str, str] = field(default_factory=dict)  # addressed to the owner
    event: dict[str, str] = field(default_factory=dict)  # addressed to the owner
    token: dict[str, str] = field(default_factory=dict)  # a spare auditor token's id
    lists: dict[str, str] = field(default_factory=lambda: {"A": "list-a", "B": "list-b"})
    cdn: dict[str, str] = field(default_factory=lambda: {"A": "cloudflare", "B": "fastly"})


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Rule:
    """Who may call an operation: principal kinds, or "public" (no token needed); with
    `owned`, a hotline only on its own objects (another's is 404)."""

    may: frozenset[str]
    build: Callable[[World, str], Call]
    owned: bool = False


def rule(*may: str, owned: bool = False) -> Callable[[Callable[[World, str], Call]], Rule]:
    def wrap(build: Callable[[World, str], Call]) -> Rule:
        return Rule(frozenset(may), build, owned)

    return wrap


def _unique() -> str:
    return secrets.token_hex(4)


def _new_report(_w: World, _o: str) -> dict[str, Any]:
    return report(f"M-{_unique()}", url=f"https://images.example.de/new/{_unique()}")


ADMIN, AUDITOR, HOTLINE, PUBLIC = "admin", "auditor", "hotline", "public"
LOG = (AUDITOR, HOTLINE, ADMIN)
RULES: dict[tuple[str, str], Rule] = {
    ("post", "/v1/tokens"): rule(ADMIN)(
        lambda w, o: Call("/v1/tokens", json={"principal": "auditor", "subject": "m"})
    ),
    ("get", "/v1/tokens"): rule(ADMIN)(lambda w, o: Call("/v1/tokens")),
    ("delete", "/v1/tokens/{token_id}"): rule(ADMIN)(lambda w, o: Call(f"/v1/tokens/{w.token[o]}")),
    ("post", "/v1/hotlines"): rule(ADMIN)(
        lambda w, o: Call(
            "/v1/hotlines",
            json={"id": f"IT-M{_unique().upper()}", "name": "M", "countries": ["IT"]},
        )
    ),
    ("get", "/v1/hotlines"): rule(ADMIN)(lambda w, o: Call("/v1/hotlines")),
    ("get", "/v1/hotlines/{hotline_id}"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/hotlines/{w.hotline[o]}")
    ),
    ("patch", "/v1/hotlines/{hotline_id}"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/hotlines/{w.hotline[o]}", json={"name": f"Hotline {o}"})
    ),
    ("put", "/v1/routes/cdn/{provider}"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/routes/cdn/{w.cdn[o]}", json={"hotline": w.hotline[o]})
    ),
    ("delete", "/v1/routes/cdn/{provider}"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/routes/cdn/{w.cdn[o]}")
    ),
    ("get", "/v1/routes/cdn"): rule(ADMIN)(lambda w, o: Call("/v1/routes/cdn")),
    ("put", "/v1/routes/{country}"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/routes/{w.country[o]}", json={"hotline": w.hotline[o]})
    ),
    ("delete", "/v1/routes/{country}"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/routes/{w.country[o]}")
    ),
    ("get", "/v1/routes"): rule(ADMIN)(lambda w, o: Call("/v1/routes")),
    ("post", "/v1/reports"): rule(HOTLINE)(
        lambda w, o: Call("/v1/reports", json=_new_report(w, o))
    ),
    ("get", "/v1/reports"): rule(HOTLINE)(lambda w, o: Call("/v1/reports")),
    ("post", "/v1/reports:batch"): rule(HOTLINE)(
        lambda w, o: Call("/v1/reports:batch", json={"reports": [_new_report(w, o)]})
    ),
    ("get", "/v1/reports/{report_id}"): rule(HOTLINE, owned=True)(
        lambda w, o: Call(f"/v1/reports/{w.report[o]}")
    ),
    ("get", "/v1/referrals"): rule(HOTLINE)(lambda w, o: Call("/v1/referrals")),
    ("get", "/v1/referrals/{referral_id}"): rule(HOTLINE, owned=True)(
        lambda w, o: Call(f"/v1/referrals/{w.referral[o]}")
    ),
    ("get", "/v1/cases"): rule(ADMIN)(lambda w, o: Call("/v1/cases")),
    ("post", "/v1/cases/{case_id}/route"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/cases/{w.case[o]}/route", json={"hotline": w.hotline[o]})
    ),
    ("post", "/v1/referrals/{referral_id}/status"): rule(HOTLINE, owned=True)(
        lambda w, o: Call(
            f"/v1/referrals/{w.referral[o]}/status",
            json={"status": "accepted", "occurred_at": NOW, "referral": w.referral[o]},
        )
    ),
    ("post", "/v1/referrals/{referral_id}/actions"): rule(HOTLINE, owned=True)(
        lambda w, o: Call(
            f"/v1/referrals/{w.referral[o]}/actions",
            json={"action": "host_notified", "occurred_at": NOW, "referral": w.referral[o]},
        )
    ),
    ("get", "/v1/cases/{case_id}"): rule(HOTLINE, ADMIN, owned=True)(
        lambda w, o: Call(f"/v1/cases/{w.case[o]}")
    ),
    ("post", "/v1/cases/{case_id}/status"): rule(HOTLINE, owned=True)(
        lambda w, o: Call(
            f"/v1/cases/{w.domestic[o]}/status",
            json={"status": "accepted", "occurred_at": NOW, "case": w.domestic[o]},
        )
    ),
    ("get", "/v1/stats"): rule(ADMIN)(lambda w, o: Call("/v1/stats")),
    ("get", "/v1/log/checkpoint"): rule(*LOG)(lambda w, o: Call("/v1/log/checkpoint")),
    # A range names every hotline's cases: auditors and the admin only (PROTOCOL 7).
    ("get", "/v1/log/entries"): rule(AUDITOR, ADMIN)(
        lambda w, o: Call("/v1/log/entries", params={"start": 0})
    ),
    ("get", "/v1/log/proof/inclusion"): rule(*LOG)(
        lambda w, o: Call("/v1/log/proof/inclusion", params={"index": 0, "tree_size": 1})
    ),
    ("get", "/v1/log/proof/consistency"): rule(*LOG)(
        lambda w, o: Call("/v1/log/proof/consistency", params={"first": 1, "second": 1})
    ),
    ("get", "/v1/keys"): rule(PUBLIC)(lambda w, o: Call("/v1/keys")),
    ("get", "/v1/events"): rule(HOTLINE)(lambda w, o: Call("/v1/events")),
    ("post", "/v1/events/ack"): rule(HOTLINE)(
        lambda w, o: Call("/v1/events/ack", json={"ids": [w.event["A"], w.event["B"]]})
    ),
    ("get", "/v1/deliveries"): rule(ADMIN)(lambda w, o: Call("/v1/deliveries")),
    ("post", "/v1/deliveries/{event_id}/retry"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/deliveries/{w.event[o]}/retry")
    ),
    ("post", "/v1/lists"): rule(ADMIN)(
        lambda w, o: Call(
            "/v1/lists", json={"id": f"m-{_unique()}", "name": "M", "source": "local"}
        )
    ),
    ("get", "/v1/lists"): rule(ADMIN)(lambda w, o: Call("/v1/lists")),
    ("get", "/v1/lists/{list_id}"): rule(ADMIN)(lambda w, o: Call(f"/v1/lists/{w.lists[o]}")),
    ("post", "/v1/lists/{list_id}/versions"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/lists/{w.lists[o]}/versions")
    ),
    ("get", "/v1/lists/{list_id}/versions/{version}"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/lists/{w.lists[o]}/versions/1")
    ),
    ("post", "/v1/lists/{list_id}/versions/{version}/entries"): rule(ADMIN)(
        lambda w, o: Call(
            f"/v1/lists/{w.lists[o]}/versions/1/entries",
            params={"part": 1, "first_line": 1},
            content=json.dumps({"alg": "md5", "value": MD5}).encode() + b"\n",
            headers={"Content-Type": "application/x-ndjson"},
        )
    ),
    ("post", "/v1/lists/{list_id}/versions/{version}:publish"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/lists/{w.lists[o]}/versions/1:publish")
    ),
    ("post", "/v1/lists/{list_id}/versions/{version}:retract"): rule(ADMIN)(
        lambda w, o: Call(f"/v1/lists/{w.lists[o]}/versions/1:retract")
    ),
    ("post", "/v1/lists/{list_id}/retractions"): rule(ADMIN)(
        lambda w, o: Call(
            f"/v1/lists/{w.lists[o]}/retractions", json={"entries": [{"alg": "md5", "value": MD5}]}
        )
    ),
    ("get", "/readyz"): rule(PUBLIC)(lambda w, o: Call("/readyz")),
    ("get", "/healthz"): rule(PUBLIC)(lambda w, o: Call("/healthz")),
}


def expected(rule: Rule, principal: str, owner: str | None) -> str:
    """What the protocol answers: "200", "401", "403", "404", or "allowed" (the call
    goes through to the operation's own rules: anything but 401, 403, 404 and 5xx)."""
    if PUBLIC in rule.may:
        return "200"
    if principal in DEAD:
        return "401"
    if KIND[principal] not in rule.may:
        return "403"
    if rule.owned and principal in OWNER and OWNER[principal] != owner:
        return "404"
    return "allowed"


def _client(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def _created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


@pytest.fixture(scope="module")
def world(module_hub: ServerThread) -> Iterator[World]:
    admin = _client(module_hub.url, ADMIN_TOKEN)

    def token(principal: str, subject: str, **fields: Any) -> dict[str, Any]:
        body = {"principal": principal, "subject": subject, **fields}
        return _created(admin.post("/v1/tokens", json=body))

    for hotline_id, country in (("NL-HA", "NL"), ("DE-HB", "DE"), ("FR-HC", "FR")):
        body = {"id": hotline_id, "name": hotline_id, "countries": [country]}
        _created(admin.post("/v1/hotlines", json=body))
    soon = format_timestamp(datetime.now(UTC) + timedelta(hours=1))
    revoked, expired = token("hotline", "NL-HA"), token("hotline", "NL-HA", expires_at=soon)
    deactivated = token("hotline", "FR-HC")
    _created(admin.delete(f"/v1/tokens/{revoked['id']}"))
    _created(admin.patch("/v1/hotlines/FR-HC", json={"active": False}))
    database = Database(Settings(database_url=module_hub.app.state.hub.settings.database_url))
    with database.transaction() as session:
        row = session.get(Token, expired["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    database.dispose()

    tokens = {
        "none": None,
        "bad": "hub_" + secrets.token_urlsafe(32),
        "revoked": revoked["token"],
        "expired": expired["token"],
        "deactivated": deactivated["token"],
        "auditor": token("auditor", "court")["token"],
        "hotline_a": token("hotline", "NL-HA")["token"],
        "hotline_b": token("hotline", "DE-HB")["token"],
        "admin": ADMIN_TOKEN,
    }
    clients = {name: _client(module_hub.url, secret) for name, secret in tokens.items()}
    world = World(clients)
    # A reports a German host (referred to B), B a Dutch one (referred to A); each also
    # reports a host in its own country (a domestic case of its own).
    for owner, other, away, home in (
        ("A", "B", "images.example.de", "files.example.net"),
        ("B", "A", "files.example.net", "images.example.de"),
    ):
        reporter = clients[f"hotline_{owner.lower()}"]
        sent = _created(
            reporter.post("/v1/reports", json=report(f"{owner}-1", url=f"https://{away}/{owner}"))
        )
        assert sent["routing"]["to"] == world.hotline[other], sent
        world.report[owner], world.case[owner] = sent["id"], sent["case"]["id"]
        world.referral[other] = sent["routing"]["referral"]
        home_case = _created(
            reporter.post("/v1/reports", json=report(f"{owner}-2", url=f"https://{home}/{owner}"))
        )
        assert home_case["routing"]["reason"] == "domestic", home_case
        world.domestic[owner] = home_case["case"]["id"]
        world.token[owner] = token("auditor", f"spare-{owner}")["id"]
        _created(
            admin.post(
                "/v1/lists", json={"id": world.lists[owner], "name": owner, "source": "local"}
            )
        )
        _created(admin.post(f"/v1/lists/{world.lists[owner]}/versions"))
    for owner in ("A", "B"):
        events = _created(clients[f"hotline_{owner.lower()}"].get("/v1/events"))["items"]
        world.event[owner] = next(e["id"] for e in events if e["type"] == "referral.created")
    yield world
    for client in (admin, *clients.values()):
        client.close()


def test_the_matrix_classifies_every_operation_of_the_document(module_hub: ServerThread) -> None:
    document = module_hub.app.openapi()
    operations = {(m, p) for p, methods in document["paths"].items() for m in methods}
    assert operations - set(RULES) == set(), "classify these operations in RULES"
    assert set(RULES) - operations == set(), "these operations are gone: drop them"


def test_every_operation_answers_every_principal_as_the_protocol_says(
    module_hub: ServerThread, world: World
) -> None:
    document = module_hub.app.openapi()
    wrong, cells = [], 0
    for path, methods in document["paths"].items():
        for method in methods:
            rule = RULES.get((method, path))
            if rule is None:
                wrong.append(f"{method.upper()} {path}: not classified")
                continue
            owners: tuple[str | None, ...] = ("A", "B") if "{" in path else (None,)
            # Those who may call it go last: their calls may change the objects.
            order = sorted(PRINCIPALS, key=lambda p: expected(rule, p, None) == "allowed")
            for owner in owners:
                for principal in order:
                    call = rule.build(world, owner or "A")
                    answer = world.clients[principal].request(
                        method.upper(),
                        call.path,
                        params=call.params,
                        json=call.json,
                        content=call.content,
                        headers=call.headers,
                    )
                    cells += 1
                    want = expected(rule, principal, owner)
                    if want in ("401", "403", "404") and want not in methods[method]["responses"]:
                        wrong.append(f"{method.upper()} {path}: the document does not list {want}")
                    got = answer.status_code
                    fine = (
                        got not in (401, 403, 404) and got < 500 and (method != "get" or got == 200)
                        if want == "allowed"
                        else str(got) == want
                    )
                    if not fine:
                        wrong.append(
                            f"{method.upper()} {call.path} as {principal} (object of {owner}):"
                            f" {got}, expected {want}: {answer.text[:200]}"
                        )
    print(f"authorization matrix: {cells} cells, {len(wrong)} wrong")
    assert wrong == []
    assert cells == sum(len(PRINCIPALS) * (2 if "{" in path else 1) for (_method, path) in RULES)
