"""The console in a real browser (Playwright driving Debian's Chromium): what a new operator
does on the first day, with screenshots saved under tests/artifacts/console/ to look at."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ADMIN_TOKEN, Hub, ServerThread, report
from tests.delivery.conftest import FAST, delivery, wait_until
from tests.support.receiver import Receiver, public_key_from_pem

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def settings(settings_for: Any) -> Any:
    return settings_for(**FAST)


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Never skipped: without the browser these tests fail, so CI cannot pass without them.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        yield launched
        launched.close()


def _shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _a_dead_delivery(api: Hub, iwf: Any, hub_clock: Any, failing: Receiver) -> str:
    """A referral to NL whose pushes all fail, until its retry window has passed."""
    api.register("NL-MELDPUNT", ["NL"], webhook_url=failing.url)
    assert iwf.post("/v1/reports", json=report("IWF-1")).status_code == 201
    [first] = failing.wait_for(lambda pushes: len(pushes) >= 1, timeout=30)
    wait_until(lambda: (d := delivery(api, first.id)) and d["attempts"] == 1, timeout=30)
    hub_clock.advance(timedelta(hours=27))
    wait_until(lambda: delivery(api, first.id, "dead"), timeout=30)
    return first.id


def test_an_operator_signs_in_routes_retries_manages_tokens_and_reads_the_plots(
    api: Hub, hub: ServerThread, browser: Browser, hub_clock: Any
) -> None:
    iwf = api.register("GB-IWF", ["GB"])
    de = api.register("DE-ECO", ["DE"])
    with Receiver(public_key_from_pem(hub.app.state.hub.settings.signing_key_path)) as failing:
        failing.fail_first = 10**6
        dead_id = _a_dead_delivery(api, iwf, hub_clock, failing)
        # A referral delivered by pull (for the time-to-referral plot) and one unassigned case.
        assert iwf.post("/v1/reports", json=report("IWF-2", "https://images.example.de/p.jpg"))
        events = de.get("/v1/events").json()["items"]
        de.post("/v1/events/ack", json={"ids": [e["id"] for e in events]})
        queued = iwf.post("/v1/reports", json=report("IWF-3", "https://unmapped.example.com/q.jpg"))
        case_id = queued.json()["case"]["id"]
        assert [c["id"] for c in api.admin.get("/v1/cases").json()["items"]] == [case_id]

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("dialog", lambda dialog: dialog.accept())
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        # Sign in: a wrong token first, then the admin token.
        page.goto(f"{hub.url}/console")
        expect(page).to_have_url(f"{hub.url}/console/sign-in")
        page.fill("#token", "hub_wrong-token")
        page.click("text=Sign in >> nth=-1")
        expect(page.locator(".error")).to_contain_text("That token is not valid")
        page.fill("#token", ADMIN_TOKEN)
        page.click("button:has-text('Sign in')")
        expect(page.locator("#unassigned")).to_have_text("1")
        expect(page.locator("#dead")).to_have_text("1")
        _shot(page, "overview")

        # Route the queued case by hand; it leaves the queue and gets a referral.
        page.click("nav >> text=Unassigned queue")
        row = page.locator(f"#case-{case_id}")
        expect(row).to_contain_text("https://unmapped.example.com/q.jpg")
        _shot(page, "queue")
        row.locator("select").select_option("DE-ECO")
        row.locator("button").click()
        expect(page.locator(".notice")).to_contain_text("routed")
        expect(page.locator(".empty")).to_contain_text("queue is empty")
        case = api.admin.get(f"/v1/cases/{case_id}").json()
        assert case["referral"] and case["routing_reason"]
        leaves = api.admin.get("/v1/log/entries", params={"start": 0}).json()["items"]
        assert any(
            leaf["event"]["type"] == "referral.created" and leaf["event"].get("case") == case_id
            for leaf in leaves
        )

        # Retry the dead delivery.
        page.click("nav >> text=Dead deliveries")
        page.locator(f"#event-{dead_id} button").click()
        expect(page.locator(".notice")).to_contain_text("back in line")
        assert delivery(api, dead_id, "dead") is None

        # Create a token for a hotline (shown once), use it, then revoke it.
        page.click("nav >> text=Hotlines")
        page.click("text=DE-ECO")
        page.click("button:has-text('Create a token')")
        secret = page.locator("#new-token").inner_text().strip()
        assert secret.startswith("hub_")
        _shot(page, "hotline-token")
        using = api.client(secret)
        assert using.get("/v1/referrals").status_code == 200
        page.goto(f"{hub.url}/console/hotlines/DE-ECO")
        expect(page.locator("#new-token")).to_have_count(0)
        assert secret not in page.content()
        page.locator("tr:has(td.state:text('active')) button:has-text('Revoke')").last.click()
        expect(page.locator(".notice")).to_contain_text("revoked")
        assert using.get("/v1/referrals").status_code == 401

        # The plots: time to referral has a bar for DE, the weekly volume counts three reports.
        page.click("nav >> text=Statistics")
        referral_plot = page.locator("#plot-referral svg")
        expect(referral_plot).to_be_visible()
        expect(referral_plot.locator("text.label")).to_contain_text(["DE"])
        assert page.locator("#plot-volume rect.bar").count() == 12
        expect(page.locator("#plot-status svg")).to_contain_text("pending")
        _shot(page, "statistics")

        page.click("nav >> text=Log")
        expect(page.locator("#verifier-key")).to_contain_text("+")
        page.click("button:has-text('Sign out')")
        expect(page).to_have_url(f"{hub.url}/console/sign-in?reason=signed-out")
        context.close()

    assert requested and all(url.startswith(hub.url + "/") for url in requested), [
        url for url in requested if not url.startswith(hub.url + "/")
    ]
