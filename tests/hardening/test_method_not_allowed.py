"""Issue 9.7: a 405 names in `Allow` every method its path takes (RFC 9110 15.5.6), for
every path of the OpenAPI document, also where several routes share one path."""

import re

import httpx

from hub.allow import METHODS
from tests.conftest import Hub


def _methods_at(paths: dict[str, dict[str, object]], concrete: str) -> set[str]:
    """Every method the document gives the path: a concrete path's own (OpenAPI matches
    concrete paths before templates), else those of every template it fits."""
    if concrete in paths:
        return {method.upper() for method in paths[concrete]}
    methods: set[str] = set()
    for template, operations in paths.items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/:]+", re.escape(template))
        if re.fullmatch(pattern, concrete):
            methods |= {method.upper() for method in operations}
    return methods


def test_every_405_lists_every_method_of_its_path(api: Hub) -> None:
    paths = api.client().get("/openapi.json").json()["paths"]
    anonymous = api.client()
    checked = 0
    for template in paths:
        concrete = re.sub(r"\{[^}]+\}", "x1", template)
        allowed = _methods_at(paths, concrete)
        for method in set(METHODS) - allowed - {"HEAD", "OPTIONS"}:
            answer = anonymous.request(method, concrete)
            assert answer.status_code == 405, (method, concrete, answer.text)
            listed = {m.strip() for m in answer.headers["allow"].split(",")}
            assert listed == allowed, (method, concrete)
            assert answer.json()["type"] == "urn:hotline-hub:problem:method-not-allowed"
            checked += 1
    assert checked > 100


def test_a_path_served_by_two_routes_names_both(api: Hub) -> None:
    answer = httpx.patch(f"{api.url}/v1/tokens/tok_1")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE"
    answer = httpx.put(f"{api.url}/v1/tokens")
    assert answer.headers["allow"] == "GET, POST"
    answer = httpx.patch(f"{api.url}/v1/routes/NL")
    assert answer.headers["allow"] == "PUT, DELETE"


def test_a_concrete_path_is_not_taken_for_a_template_beside_it(api: Hub) -> None:
    # /v1/routes/cdn is a path of its own, not the route of a country called "cdn".
    answer = httpx.put(f"{api.url}/v1/routes/cdn", json={"hotline": "NL-MELDPUNT"})
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"
    answer = httpx.get(f"{api.url}/v1/lists/iwf/versions/1:publish")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
