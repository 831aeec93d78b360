"""`GET /metrics`: the Prometheus text format, behind a token or on its own address,
with counts that every process shares through the database."""

from collections.abc import Callable

import httpx
import pytest

from hub.settings import Settings
from tests.conftest import Hub, ServerThread, free_port, report
from tests.operations.metrics import METRICS_TOKEN, scrape, value, wait_for
from tests.support.processes import serve_processes


@pytest.fixture
def settings(settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(metrics_token=METRICS_TOKEN, inprocess_worker=True)


def test_metrics_need_the_metrics_token(hub: ServerThread, api: Hub) -> None:
    assert httpx.get(f"{hub.url}/metrics", timeout=60).status_code == 401
    wrong = {"Authorization": "Bearer " + "x" * 48}
    assert httpx.get(f"{hub.url}/metrics", headers=wrong, timeout=60).status_code == 401
    # Not even the admin token opens them: scraping is its own, weaker secret.
    admin = api.admin.get("/metrics")
    assert admin.status_code == 401
    assert scrape(hub.url)


def test_metrics_are_off_without_a_token_or_address(
    settings_for: Callable[..., Settings],
) -> None:
    with ServerThread(settings_for()) as server:
        assert httpx.get(f"{server.url}/metrics", timeout=60).status_code == 404


def test_a_report_and_a_rejection_show_in_the_metrics(hub: ServerThread, api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])
    assert iwf.post("/v1/reports", json=report("M-1")).status_code == 201
    assert iwf.post("/v1/reports", json=report("M-2", url="ftp://x")).status_code == 422
    assert (
        iwf.post(
            "/v1/reports", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    # The log's size is what the sequencer has numbered, a moment after the requests.
    samples = wait_for(
        hub.url,
        lambda s: (
            value(s, "hub_reports_rejected_total", reason="malformed") == 1
            and value(s, "hub_log_size") >= 3
            and value(s, "hub_log_pending") == 0
        ),
    )
    assert value(samples, "hub_reports_accepted_total") == 1
    assert value(samples, "hub_reports_rejected_total", reason="invalid") == 1
    assert value(samples, "hub_reports_rejected_total", reason="malformed") == 1
    assert value(samples, "hub_cases_opened_total") == 1
    assert value(samples, "hub_referrals_total", reason="hosting_country") == 1
    assert value(samples, "hub_log_size") >= 3
    assert value(samples, "hub_log_pending") == 0
    route = {"method": "POST", "route": "/v1/reports"}
    assert value(samples, "hub_http_request_duration_seconds_count", **route) == 3
    assert value(samples, "hub_http_request_duration_seconds_bucket", **route, le="+Inf") == 3
    assert value(samples, "hub_http_request_duration_seconds_sum", **route) > 0
    # Ids never become labels: the route template does.
    assert not [key for key in samples if "rep_" in str(key) or "example" in str(key)]


def test_a_batch_counts_each_refused_report(hub: ServerThread, api: Hub) -> None:
    api.register("NL-MELDPUNT", ["NL"])
    iwf = api.register("GB-IWF", ["GB"])
    batch = {"reports": [report("B-1"), report("B-2", url="ftp://x"), report("B-3", url="ftp://y")]}
    assert iwf.post("/v1/reports:batch", json=batch).status_code == 200
    samples = wait_for(
        hub.url, lambda s: value(s, "hub_reports_rejected_total", reason="invalid") == 2
    )
    assert value(samples, "hub_reports_rejected_total", reason="invalid") == 2
    assert value(samples, "hub_reports_accepted_total") == 1


def test_metrics_on_a_separate_address(settings_for: Callable[..., Settings]) -> None:
    port = free_port()
    with ServerThread(settings_for(metrics_address=f"127.0.0.1:{port}")) as server:
        assert httpx.get(f"{server.url}/metrics", timeout=60).status_code == 404
        samples = wait_for(f"http://127.0.0.1:{port}", lambda s: bool(s))
        assert ("hub_reports_accepted_total", ()) in samples


def test_two_processes_share_counts_without_losing_or_doubling(settings: Settings) -> None:
    """Counts sent to either process are in both scrapes, once, on one database."""
    with serve_processes(settings, [free_port(), free_port()], HUB_METRICS_TOKEN=METRICS_TOKEN) as (
        first,
        second,
    ):
        admin = {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}  # type: ignore[union-attr]
        for hotline, country in (("NL-MELDPUNT", "NL"), ("GB-IWF", "GB")):
            body = {"id": hotline, "name": hotline, "countries": [country]}
            assert (
                httpx.post(f"{first}/v1/hotlines", json=body, headers=admin, timeout=60).status_code
                == 201
            )
        answer = httpx.post(
            f"{first}/v1/tokens",
            json={"principal": "hotline", "subject": "GB-IWF"},
            headers=admin,
            timeout=60,
        )
        iwf = {"Authorization": f"Bearer {answer.json()['token']}"}
        for index in range(12):
            url = (first, second)[index % 2]
            good = report(f"TWO-{index}", url=f"https://files.example.net/two/{index}")
            assert (
                httpx.post(f"{url}/v1/reports", json=good, headers=iwf, timeout=30).status_code
                == 201
            )
            bad = report(f"BAD-{index}", url="ftp://x")
            assert (
                httpx.post(f"{url}/v1/reports", json=bad, headers=iwf, timeout=30).status_code
                == 422
            )

        def settled(samples: dict) -> bool:
            return value(samples, "hub_reports_rejected_total", reason="invalid") >= 12

        for url in (first, second):
            samples = wait_for(url, settled)
            assert value(samples, "hub_reports_rejected_total", reason="invalid") == 12
            assert value(samples, "hub_reports_accepted_total") == 12
            assert value(samples, "hub_cases_opened_total") == 12
            route = {"method": "POST", "route": "/v1/reports"}
            assert value(samples, "hub_http_request_duration_seconds_count", **route) == 24
        # A scrape reads the counts; it does not add to them.
        again = scrape(first)
        assert value(again, "hub_reports_rejected_total", reason="invalid") == 12
