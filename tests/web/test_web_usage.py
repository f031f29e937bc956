"""The usage page: calls per day against the cap, the figures the API reports, and the plan."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.delivery.pager import Pager
from tests.factories import ok
from tests.web.browser_forms import owner_home
from tests.web.owner_browser import signed_in_owner
from tocsin.runtime import Runtime


def test_usage_page_charts_thirty_days_and_shows_the_figures_and_plan(
    client: TestClient, runtime: Runtime, pager: Pager
) -> None:
    endpoint = pager.endpoint(pager.contact("Alice"), pager.contact("Bob"))
    pager.fire(endpoint)
    pager.run()
    usage = ok(client.get(f"{pager.org}/usage", headers=pager.auth))
    billing = ok(client.get(f"{pager.org}/billing", headers=pager.auth))
    assert usage["today"]["calls"] == 1  # primary routing: the first contact answered

    page = signed_in_owner(client, runtime, pager).get(f"/o/{pager.org_id}/usage")
    assert page.status_code == 200
    chart = page.text.split("<svg")[1].split("</svg>")[0]
    assert 'class="chart" role="img"' in chart
    assert f"daily cap {usage['today']['limit']}" in chart
    assert chart.count('<rect class="bar"') == 30
    assert f"<title>{usage['today']['period']}: 1 call</title>" in chart
    today, month = usage["today"], usage["month"]
    assert (
        f"<strong>{today['calls']}</strong> of {today['limit']} calls used, "
        f"<strong>{today['left']}</strong> left." in page.text
    )
    assert (
        f"<strong>{month['calls']}</strong> of {month['limit']} calls used, "
        f"<strong>{month['left']}</strong> left." in page.text
    )
    assert f'<strong id="calls-left">{usage["calls_left"]}</strong>' in page.text
    # Self-hosted (no Paddle): the plan's caps as this server's limits, spend in its currency.
    assert f"allows {billing['plan']['monthly_calls']} calls a month" in page.text
    assert 'id="plan-name"' not in page.text
    assert "Estimated spend USD 0.02 of USD 300.00" in page.text
    assert "Production" in page.text  # this month's calls by endpoint
    assert 'aria-current="page">Usage' in page.text


def test_usage_of_a_new_organization_is_an_empty_chart_and_another_one_is_not_found(
    client: TestClient, runtime: Runtime, pager: Pager
) -> None:
    browser = TestClient(client.app)
    home = owner_home(browser, runtime, "eve@example.com", "Eve Ops")
    page = browser.get(f"{home}/usage")
    assert page.status_code == 200
    assert page.text.count('<rect class="bar"') == 30
    assert "0 calls in total" in page.text
    assert browser.get(f"/o/{pager.org_id}/usage").status_code == 404


# Words a self-hosted install never shows its users: nothing is sold there.
SAAS_WORDS = ("trial", "subscription", "paid", "plan in force", "upgrade")


def test_a_self_hosted_install_shows_limits_not_plans_and_a_selling_one_shows_both(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = TestClient(client.app)
    home = owner_home(browser, runtime, "eve@example.com", "Eve Ops")
    monkeypatch.setattr(runtime.settings, "currency", "EUR")
    for path in (f"{home}/usage", "/account"):
        shown = browser.get(path).text.lower()
        assert not [word for word in SAAS_WORDS if word in shown], path
    usage = browser.get(f"{home}/usage").text
    assert 'id="limits"' in usage
    assert "Estimated spend EUR 0.00 of EUR 300.00" in usage

    monkeypatch.setattr(runtime.settings, "paddle_webhook_secrets", SecretStr("pdl_ntfset_x"))
    selling = browser.get(f"{home}/usage").text
    assert "Subscription" in selling
    assert "Trial" in selling
    assert 'id="plan-name"' in selling
    assert 'id="limits"' not in selling
    assert "EUR 0.00 of EUR 300.00" in selling
