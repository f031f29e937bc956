"""The anomaly scan files one case per suspicious pattern, stays quiet on real paging, and
suspends an organization past a hard threshold once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.billing.helpers import tiny_billing
from tests.factories import ok
from tests.trust.anomaly_traffic import Traffic, hours, numbers
from tocsin.audit.models import AuditEvent
from tocsin.core.actors import Actor
from tocsin.core.clock import ManualClock
from tocsin.restrictions.blocks import ingest_block
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.runtime import Runtime
from tocsin.trust.anomalies import DEFAULT_THRESHOLDS, ScanReport, Thresholds, run_scan
from tocsin.trust.anomalies.findings import normalise_text
from tocsin.trust.anomalies.marketing import phrases_in, score_of
from tocsin.trust.enforcement import lift, take_action
from tocsin.trust.models import TrustCase

STAFF = Actor("user", "usr_staff")


@pytest.fixture
def traffic(runtime: Runtime, clock: ManualClock) -> Traffic:
    return Traffic(runtime.database, clock.now)


def scan(
    runtime: Runtime,
    clock: ManualClock,
    *,
    auto_suspend: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> ScanReport:
    with runtime.database.write() as session:
        return run_scan(session, now=clock.now(), thresholds=thresholds, auto_suspend=auto_suspend)


def cases(runtime: Runtime, detector: str | None = None) -> list[TrustCase]:
    with runtime.database.read() as session:
        found = list(session.scalars(select(TrustCase).order_by(TrustCase.id)))
    return [case for case in found if detector is None or case.details["detector"] == detector]


def only_case(runtime: Runtime, detector: str) -> TrustCase:
    [case] = cases(runtime, detector)
    assert case.kind == "anomaly"
    assert case.status == "open"
    return case


def suspensions(runtime: Runtime, org_id: str) -> list[EnforcementAction]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(EnforcementAction).where(
                    EnforcementAction.target_id == org_id,
                    EnforcementAction.kind == ActionKind.SUSPENSION.value,
                )
            )
        )


def spoken(title: str, endpoint: str = "Production", severity: str = "critical") -> str:
    """What the default template reads for an alert."""
    return f"Alert from {endpoint}. Severity {severity}. {title}."


# Titles as monitoring tools send them: none of them is marketing, however it is read.
REAL_ALERTS = [
    "Disk full on db1",
    "High error rate on checkout-api: 5xx above 2% for 10 minutes",
    "Certificate for example.com expires in 3 days",
    "PostgreSQL replication lag 120s",
    "Backup job failed",
    "[FIRING:1] KubePodCrashLooping payments-worker (prod critical)",
    "[FIRING:3] HighLatency discount-service promotion-api sale_events",
    "[Alerting] CPU usage above 90% on web-3",
    "[RESOLVED] Memory pressure on cache-2",
    "Grafana alert: Checkout conversion rate below 1% for 15m",
    "Uptime Kuma: https://shop.example.com/sale is DOWN (503 Service Unavailable)",
    "Node exporter down on 10.0.3.17:9100",
    "Wholesale orders queue backlog above 5000; dealer portal not responding",
    "Loan-approvals worker stuck; deal.example.com TLS handshake failing",
    "Payment provider webhook failures: 37 in 5 minutes",
    "Kafka consumer lag on topic orders above 100000",
]

# Eight on-call people across three organizations, a consultant on call for two of them.
SHOP_ROTA = numbers(4, first=1)
BANK_ROTA = numbers(4, first=11)
AGENCY_TEAM = numbers(12, first=21)
CONSULTANT = numbers(1, first=99)[0]


def a_day_of_paging(traffic: Traffic, orgs: dict[str, str], *, day: int) -> None:
    """About twenty alerts, most to the primary, some escalated through the rota, repeats."""
    base = hours(24 * day)
    shop, bank, agency = orgs["shop"], orgs["bank"], orgs["agency"]
    for n in range(20):
        title = REAL_ALERTS[(n + day) % len(REAL_ALERTS)]
        # Escalation: primary, then the next on call; every fifth alert reaches the manager.
        reached = SHOP_ROTA[: 1 + (n % 3 == 0) + (n % 5 == 0) * 2]
        traffic.calls(shop, reached, spoken(title, "Shop"), ago=base + hours(1 + n))
    traffic.calls(shop, [CONSULTANT], spoken("Backup job failed", "Shop"), ago=base + hours(3))
    grouped = (
        "5 alerts firing on Bank core. Severity critical. "
        "KubePodCrashLooping: pod ledger-7f9c in namespace payments is restarting. "
        "HighErrorRate: checkout-api 5xx above 2% for 10 minutes in all three availability "
        "zones of eu-west-1. PostgreSQL replication lag above 120 seconds on replica db-2. "
        "Certificate for api.bank.example expires in 3 days. "
        "Backup job nightly-full failed with exit status 2 after 45 minutes. And 3 more."
    )
    assert len(grouped) > DEFAULT_THRESHOLDS.long_message_characters
    traffic.calls(bank, BANK_ROTA, grouped, ago=base + hours(2))
    traffic.calls(bank, BANK_ROTA[:1], spoken("Disk full on db1", "Bank"), ago=base + hours(5))
    for n, person in enumerate(AGENCY_TEAM):
        title = REAL_ALERTS[(n * 3 + day) % len(REAL_ALERTS)]
        traffic.calls(agency, [person], spoken(title, "Client sites"), ago=base + hours(n + 1))
    traffic.calls(agency, [CONSULTANT], spoken("Disk full on web-1"), ago=base + hours(6))


def test_a_week_of_ordinary_paging_files_no_case(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    orgs = {name: traffic.org(name) for name in ("shop", "bank", "agency")}
    for day in range(8):
        a_day_of_paging(traffic, orgs, day=day)
    # A new customer moving its on-call rotas over: twenty people, each about their own alert.
    newcomer = traffic.org("Newcomer")
    for n, person in enumerate(numbers(20, first=200)):
        traffic.calls(newcomer, [person], spoken(REAL_ALERTS[n % len(REAL_ALERTS)], f"Team {n}"))

    report = scan(runtime, clock, auto_suspend=True)

    assert report.ran
    assert [case.summary for case in report.cases] == []
    assert (report.findings, report.new_cases, report.suspensions) == (0, 0, 0)
    assert cases(runtime) == []


# The detectors one by one --------------------------------------------------------------------


def test_a_spike_in_distinct_numbers_files_a_case_with_the_numbers(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    dialer = traffic.org("Dialer")
    for day in range(1, 8):
        traffic.calls(dialer, numbers(3), spoken("Disk full on db1"), ago=hours(24 * day + 2))
    targets = numbers(40, first=500)
    for n, number in enumerate(targets):
        traffic.calls(dialer, [number], spoken(REAL_ALERTS[n % len(REAL_ALERTS)]))

    scan(runtime, clock)

    case = only_case(runtime, "distinct_numbers")
    assert case.org_id == dialer
    assert case.details["distinct_numbers"] == 40
    assert case.details["daily_average"] == 3.0
    assert case.details["daily_history"] == [3] * 7
    assert case.details["sample_numbers"] == targets[:10]
    assert case.details["over_hard_threshold"] is False
    assert case.fingerprint == f"anomaly:distinct_numbers:{dialer}:2026-01-01"
    assert "40 distinct numbers" in case.summary


def test_many_numbers_are_no_spike_for_an_organization_that_always_calls_them(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    big = traffic.org("Big on-call rota")
    for day in range(8):
        traffic.calls(big, numbers(30, first=day * 5), spoken("Disk full"), ago=hours(24 * day + 1))

    scan(runtime, clock)

    assert cases(runtime, "distinct_numbers") == []


def test_one_message_to_many_numbers_is_a_broadcast_whatever_the_digits(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    shop = traffic.org("Shop")
    targets = numbers(16, first=300)
    for n, number in enumerate(targets):
        traffic.calls(shop, [number], f"Your order {1000 + n} is ready for collection at our store")

    scan(runtime, clock)

    case = only_case(runtime, "broadcast")
    assert case.org_id == shop
    assert case.details["max_numbers_per_text"] == 16
    [text] = case.details["texts"]
    assert text["sample_text"] == "Your order 1000 is ready for collection at our store"
    assert text["distinct_numbers"] == 16
    assert text["sample_numbers"] == targets[:10]


def test_long_texts_to_many_numbers_are_flagged(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    campaign = traffic.org("Campaign")
    script = "This is an important message about the town hall meeting in your area. " * 7
    assert len(script) > 400
    traffic.calls(campaign, numbers(10, first=400), script)

    scan(runtime, clock)

    case = only_case(runtime, "long_messages")
    assert case.org_id == campaign
    assert case.details["distinct_numbers"] == 10
    assert case.details["longest_characters"] == len(script)
    assert case.details["sample_text"] == script[:300]
    assert case.details["sample_numbers"] == numbers(10, first=400)


def test_a_sales_pitch_is_flagged_with_its_phrases(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    seller = traffic.org("Seller")
    pitch = "Congratulations! You have won a free gift. Press 1 to speak to an agent."
    traffic.calls(seller, numbers(2, first=600), pitch)

    scan(runtime, clock)

    case = only_case(runtime, "marketing")
    assert case.org_id == seller
    assert case.details["phrases"] == [
        "free gift",
        "you have won",
        "press 1 to speak",
        "congratulations",
    ]
    assert case.details["sample_text"] == pitch
    assert case.details["distinct_numbers"] == 2


def test_a_number_called_by_three_organizations_is_one_case_naming_them(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    target = numbers(1, first=700)[0]
    orgs = [traffic.org(f"Account {n}") for n in range(3)]
    for n, org_id in enumerate(orgs):
        traffic.calls(org_id, [target, *numbers(2, first=710 + 2 * n)], ago=hours(24 * n + 1))

    scan(runtime, clock)

    case = only_case(runtime, "shared_numbers")
    assert case.org_id is None
    assert case.details["number"] == target
    assert case.details["org_ids"] == sorted(orgs)
    assert case.details["calls_per_org"] == {org_id: 1 for org_id in orgs}
    assert case.fingerprint == f"anomaly:shared_numbers:{target}:2026-W01"


def test_calls_older_than_the_window_are_not_counted(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    shop = traffic.org("Shop")
    traffic.calls(shop, numbers(20, first=800), "Your parcel 1 is on its way", ago=hours(30))

    scan(runtime, clock)

    assert cases(runtime, "broadcast") == []


# Texts ---------------------------------------------------------------------------------------


def test_texts_that_differ_in_case_spacing_or_numbers_normalise_alike() -> None:
    assert normalise_text("Order 123  ready") == normalise_text("order 4567 READY")
    assert normalise_text("Order 123 ready") != normalise_text("Order 123 cancelled")


@pytest.mark.parametrize("title", REAL_ALERTS)
def test_real_alert_titles_are_not_marketing(title: str) -> None:
    assert score_of(spoken(title)) < DEFAULT_THRESHOLDS.marketing_score


@pytest.mark.parametrize(
    "text",
    [
        "Special offer for a limited time: 20% off all mattresses. Call now.",
        "You have won a prize! Press 1 to speak to our team.",
        "Improve your credit score with a low interest loan. Press 1 to speak to an advisor.",
        "Your car warranty is about to expire. Press 1 to speak to a specialist.",
        "Get an insurance quote today and receive a free gift.",
        "Big sale this weekend only, subscribe for every deal.",
    ],
)
def test_sales_pitches_are_marketing(text: str) -> None:
    assert score_of(text) >= DEFAULT_THRESHOLDS.marketing_score


def test_phrases_are_whole_words_not_parts_of_names() -> None:
    assert phrases_in("wholesale dealer unsubscribed promotional") == []
    assert phrases_in("discount-service and /sale and deal.example.com") == []
    assert phrases_in("Big sale. Best deal!") == ["deal", "sale"]
    assert phrases_in("Now 50 % off") == ["% off"]
    assert phrases_in("unsubscribe here") == ["unsubscribe"]


# Scanning again ------------------------------------------------------------------------------


def _distinct_numbers(traffic: Traffic) -> None:
    org = traffic.org("Dialer")
    for n, number in enumerate(numbers(30, first=900)):
        traffic.calls(org, [number], spoken(REAL_ALERTS[n % len(REAL_ALERTS)]))


def _broadcast(traffic: Traffic) -> None:
    traffic.calls(traffic.org("Shop"), numbers(15, first=1000), "Your table is ready")


def _long_messages(traffic: Traffic) -> None:
    traffic.calls(traffic.org("Campaign"), numbers(10, first=1100), "Please listen. " * 30)


def _marketing(traffic: Traffic) -> None:
    traffic.calls(traffic.org("Seller"), numbers(1, first=1200), "Act now: limited time deal")


def _shared_numbers(traffic: Traffic) -> None:
    for n in range(3):
        traffic.calls(traffic.org(f"Account {n}"), numbers(1, first=1300))


@pytest.mark.parametrize(
    ("detector", "build"),
    [
        ("distinct_numbers", _distinct_numbers),
        ("broadcast", _broadcast),
        ("long_messages", _long_messages),
        ("marketing", _marketing),
        ("shared_numbers", _shared_numbers),
    ],
)
def test_scanning_again_updates_the_case_rather_than_filing_another(
    runtime: Runtime,
    clock: ManualClock,
    traffic: Traffic,
    detector: str,
    build: Callable[[Traffic], None],
) -> None:
    build(traffic)
    first = scan(runtime, clock)
    filed = only_case(runtime, detector)
    assert [case.created for case in first.cases if case.detector == detector] == [True]

    clock.advance(15 * 60)
    second = scan(runtime, clock)

    assert [case.created for case in second.cases if case.detector == detector] == [False]
    assert second.new_cases == 0
    again = only_case(runtime, detector)
    assert again.id == filed.id
    assert again.details["last_seen_at"] == clock.now().isoformat()


def test_the_evidence_grows_in_the_same_case_through_the_day(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    shop = traffic.org("Shop")
    traffic.calls(shop, numbers(15, first=1400), "Your table is ready")
    scan(runtime, clock)
    clock.advance(3600)
    traffic.calls(shop, numbers(5, first=1415), "Your table is ready", ago=timedelta(minutes=5))

    report = scan(runtime, clock)

    assert report.new_cases == 0
    case = only_case(runtime, "broadcast")
    assert case.details["max_numbers_per_text"] == 20
    assert "20 distinct numbers" in case.summary


# Suspension ----------------------------------------------------------------------------------


def test_past_a_hard_threshold_the_organization_is_suspended_once_and_its_webhooks_refused(
    client: TestClient, runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    tenant = seeded.tenant(runtime)
    # Both the distinct-numbers and the broadcast detectors are past their hard thresholds.
    traffic.calls(tenant.org_id, numbers(200, first=2000), "Vote on Tuesday")

    report = scan(runtime, clock, auto_suspend=True)

    assert report.suspensions == 1
    [action] = suspensions(runtime, tenant.org_id)
    case = only_case(runtime, "distinct_numbers")
    assert case.action_id == action.id
    assert case.details["over_hard_threshold"] is True
    assert "distinct_numbers" in action.reason
    assert case.id in action.reason
    assert only_case(runtime, "broadcast").action_id is None
    refused = client.post(
        f"/v1/hooks/{tenant.endpoint_id}", json={"title": "Disk full"}, headers=tenant.alert_key
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "org_suspended"

    clock.advance(15 * 60)
    again = scan(runtime, clock, auto_suspend=True)

    assert (again.new_cases, again.suspensions) == (0, 0)
    assert len(suspensions(runtime, tenant.org_id)) == 1


def test_without_auto_suspension_only_a_case_is_filed(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    dialer = traffic.org("Dialer")
    for n, number in enumerate(numbers(200, first=3000)):
        traffic.calls(dialer, [number], spoken(REAL_ALERTS[n % len(REAL_ALERTS)]))

    report = scan(runtime, clock, auto_suspend=False)

    assert (report.new_cases, report.suspensions) == (1, 0)
    case = only_case(runtime, "distinct_numbers")
    assert case.details["over_hard_threshold"] is True
    assert case.action_id is None
    assert suspensions(runtime, dialer) == []
    with runtime.database.read() as session:
        assert ingest_block(session, org_id=dialer, endpoint_id="ep_x", now=clock.now()) is None


def test_a_suspension_staff_lifted_is_not_taken_again_the_next_day(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    dialer = traffic.org("Dialer")
    traffic.calls(dialer, numbers(200, first=4000), "Vote on Tuesday")
    scan(runtime, clock, auto_suspend=True)
    [action] = suspensions(runtime, dialer)
    with runtime.database.write() as session:
        lift(session, action_id=action.id, actor=STAFF, now=clock.now())

    clock.advance(24 * 3600)
    traffic.calls(dialer, numbers(200, first=4000), "Vote on Tuesday")
    report = scan(runtime, clock, auto_suspend=True)

    assert report.new_cases == 2  # the new day's cases
    assert report.suspensions == 0
    assert len(suspensions(runtime, dialer)) == 1


def test_an_organization_staff_already_suspended_is_not_suspended_again(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    dialer = traffic.org("Dialer")
    with runtime.database.write() as session:
        take_action(
            session,
            kind=ActionKind.SUSPENSION,
            scope=ActionScope.ORGANIZATION,
            target=dialer,
            reason="complaints",
            actor=STAFF,
            now=clock.now(),
        )
    traffic.calls(dialer, numbers(200, first=5000), "Vote on Tuesday")

    report = scan(runtime, clock, auto_suspend=True)

    assert report.suspensions == 0
    assert len(suspensions(runtime, dialer)) == 1


def test_a_hard_threshold_of_none_never_suspends(
    runtime: Runtime, clock: ManualClock, traffic: Traffic
) -> None:
    dialer = traffic.org("Dialer")
    traffic.calls(dialer, numbers(200, first=6000), "Vote on Tuesday")
    lenient = Thresholds(distinct_numbers_hard=None, broadcast_hard=None)

    report = scan(runtime, clock, auto_suspend=True, thresholds=lenient)

    assert report.new_cases == 2
    assert report.suspensions == 0


# Trials --------------------------------------------------------------------------------------


def ask_for_trial(client: TestClient, org_id: str, auth: dict[str, str]) -> Any:
    return client.post(f"/v1/orgs/{org_id}/billing/trial", headers=auth)


def refusals(runtime: Runtime) -> list[AuditEvent]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "billing.trial_refused")
                .order_by(AuditEvent.id)
            )
        )


def test_a_refused_trial_is_recorded_although_the_request_failed(
    client: TestClient, runtime: Runtime
) -> None:
    runtime.billing = tiny_billing()
    ana = seeded.person(runtime, email="ana@example.com", org_name="First")
    ok(ask_for_trial(client, ana.org_id, ana.auth), 201)
    second = seeded.organization(runtime, ana.user_id, name="Second")

    refused = ask_for_trial(client, second, ana.auth)

    assert refused.status_code == 409
    [event] = refusals(runtime)
    assert (event.org_id, event.target_id) == (second, second)
    assert event.details["code"] == "trial_not_eligible"
    assert event.details["matched"] == ["email", "owner"]


def test_trials_refused_to_two_organizations_of_one_person_are_one_case(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    runtime.billing = tiny_billing()
    ana = seeded.person(runtime, email="ana@example.com", org_name="First")
    ok(ask_for_trial(client, ana.org_id, ana.auth), 201)
    second = seeded.organization(runtime, ana.user_id, name="Second")
    third = seeded.organization(runtime, ana.user_id, name="Third")
    assert ask_for_trial(client, second, ana.auth).status_code == 409
    clock.advance(3 * 24 * 3600)
    auth = seeded.signed_in(runtime, ana.user_id)
    assert ask_for_trial(client, third, auth).status_code == 409

    scan(runtime, clock)

    case = only_case(runtime, "repeated_trials")
    assert case.org_id is None
    assert case.details["org_ids"] == sorted([second, third])
    assert {shared["kind"] for shared in case.details["shared"]} == {"email", "owner"}
    assert {"kind": "email", "value": "ana@example.com", "org_ids": sorted([second, third])} in (
        case.details["shared"]
    )
    assert [refusal["org_id"] for refusal in case.details["refusals"]] == [second, third]

    clock.advance(15 * 60)
    assert scan(runtime, clock).new_cases == 0
    assert len(cases(runtime, "repeated_trials")) == 1


def test_one_organization_asking_twice_is_not_a_pattern(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    runtime.billing = tiny_billing()
    ana = seeded.person(runtime, email="ana@example.com", org_name="First")
    ok(ask_for_trial(client, ana.org_id, ana.auth), 201)
    second = seeded.organization(runtime, ana.user_id, name="Second")
    assert ask_for_trial(client, second, ana.auth).status_code == 409
    assert ask_for_trial(client, second, ana.auth).status_code == 409
    # A different person's refusal for another reason points at nobody.
    bea = seeded.person(runtime, email="bea@example.com", org_name="First")
    ok(ask_for_trial(client, bea.org_id, bea.auth), 201)
    assert ask_for_trial(client, bea.org_id, bea.auth).status_code == 409

    scan(runtime, clock)

    assert len(refusals(runtime)) == 3
    assert cases(runtime, "repeated_trials") == []
