"""Trust and safety evidence outlives a short plan's audit retention: the platform keeps it for
TOCSIN_EVIDENCE_RETENTION_DAYS whatever the plan, and only ordinary events follow the plan."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.billing.helpers import tiny_billing
from tests.factories import ok
from tocsin.accounts.models import Organization
from tocsin.audit import log as audit
from tocsin.audit.actions import EVIDENCE, AuditAction
from tocsin.audit.log import SYSTEM
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust import queries
from tocsin.trust.anomalies import DEFAULT_THRESHOLDS, run_scan
from tocsin.trust.cases import open_case, update_case
from tocsin.trust.enforcement import take_action
from tocsin.trust.models import CaseKind, CaseStatus
from tocsin.trust.retention import purge_audit_log

DAY = 24 * 3600


def _actions(runtime: Runtime, org_ids: set[str]) -> set[str]:
    with runtime.database.read() as session:
        return set(session.scalars(select(AuditEvent.action).where(AuditEvent.org_id.in_(org_ids))))


def _purge(runtime: Runtime, clock: ManualClock) -> int:
    with runtime.database.write() as session:
        return purge_audit_log(
            session,
            billing=runtime.billing,
            evidence_days=runtime.settings.evidence_retention_days,
            now=clock.now(),
        )


def test_a_seven_day_plan_keeps_enforcement_cases_and_trial_refusals_after_a_week(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    """issue 16, finding 5: on a 7-day plan, enforcement records, case histories and trial
    refusals were gone after a week (the repeated-trial detector needs 30 days)."""
    runtime.billing = tiny_billing()  # its default plan keeps audit events for 7 days
    ana = seeded.person(runtime, email="ana@example.com", org_name="First")
    ok(client.post(f"/v1/orgs/{ana.org_id}/billing/trial", headers=ana.auth), 201)
    second = seeded.organization(runtime, ana.user_id, name="Second")
    third = seeded.organization(runtime, ana.user_id, name="Third")
    seeded.contact(runtime, second, phone="+447400123456")  # consent recorded
    for org_id in (second, third):
        refused = client.post(f"/v1/orgs/{org_id}/billing/trial", headers=ana.auth)
        assert refused.status_code == 409
    now = clock.now()
    with runtime.database.write() as session:
        take_action(
            session,
            kind=ActionKind.SUSPENSION,
            scope=ActionScope.ORGANIZATION,
            target=second,
            reason="trial farming",
            actor=SYSTEM,
            now=now,
        )
        case, _ = open_case(
            session,
            kind=CaseKind.ANOMALY,
            summary="three organizations, one person",
            details={},
            actor=SYSTEM,
            now=now,
            org_id=second,
        )
        update_case(
            session,
            case_id=case.id,
            actor=SYSTEM,
            now=now,
            status=CaseStatus.RESOLVED,
            resolution="suspended",
        )
        case_id = case.id
    # Ana's own organization is on the trial plan, which keeps 30 days; the others on 7.
    orgs = {ana.org_id, second, third}

    clock.advance(8 * DAY)
    removed = _purge(runtime, clock)

    kept = _actions(runtime, orgs)
    assert removed > 0
    assert {
        "enforcement.suspension",
        "case.opened.anomaly",
        "case.updated",
        "billing.trial_started",
        "billing.trial_refused",
        "consent.recorded",
        "notice.enforcement_suspension",
    } <= kept
    # Ordinary events follow the plan.
    assert not _actions(runtime, {second, third}) & {"org.created", "contact.created"}
    with runtime.database.read() as session:
        history = [event.action for event in queries.case_history(session, case_id)]
    assert history == ["case.opened.anomaly", "case.updated"]
    # The repeated-trial detector still sees the refusals of a week ago.
    with runtime.database.write() as session:
        report = run_scan(
            session, now=clock.now(), thresholds=DEFAULT_THRESHOLDS, auto_suspend=False
        )
    assert report.new_cases == 1

    # Past the platform's minimum the evidence goes too.
    clock.advance(runtime.settings.evidence_retention_days * DAY)
    _purge(runtime, clock)
    assert not _actions(runtime, orgs) & {"enforcement.suspension", "billing.trial_refused"}


def test_a_plan_that_keeps_longer_than_the_minimum_keeps_evidence_longer(
    runtime: Runtime, clock: ManualClock
) -> None:
    runtime.billing = tiny_billing()
    runtime.settings.evidence_retention_days = 10
    org_id = seeded.person(runtime, org_name="Paying").org_id
    with runtime.database.write() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        org.plan = "team"  # keeps 90 days
        for days_ago in (100, 30):
            for action in (AuditAction.ENFORCEMENT_WARNING, AuditAction.ALERT_RECEIVED):
                audit.record(
                    session,
                    actor=SYSTEM,
                    action=action,
                    at=clock.now() - timedelta(days=days_ago),
                    org_id=org_id,
                    details={"days_ago": days_ago},
                )
    _purge(runtime, clock)
    with runtime.database.read() as session:
        kept = {
            (event.action, event.details["days_ago"])
            for event in session.scalars(
                select(AuditEvent).where(
                    AuditEvent.org_id == org_id,
                    AuditEvent.action.in_(["enforcement.warning", "alert.received"]),
                )
            )
        }
    assert kept == {("enforcement.warning", 30), ("alert.received", 30)}


def test_evidence_is_named_by_the_action_itself() -> None:
    """One list decides which audit events are evidence (audit/actions.py)."""
    evidence = {
        AuditAction.ENFORCEMENT_WARNING,
        AuditAction.ENFORCEMENT_SUSPENSION,
        AuditAction.ENFORCEMENT_TERMINATION,
        AuditAction.ENFORCEMENT_LIFTED,
        AuditAction.CASE_OPENED_ABUSE_REPORT,
        AuditAction.CASE_OPENED_ANOMALY,
        AuditAction.CASE_OPENED_APPEAL,
        AuditAction.CASE_UPDATED,
        AuditAction.CASE_ACTION_TAKEN,
        AuditAction.CONSENT_RECORDED,
        AuditAction.NUMBER_DO_NOT_CALL,
        AuditAction.NUMBER_PLATFORM_OPT_OUT,
        AuditAction.BILLING_TRIAL_STARTED,
        AuditAction.BILLING_TRIAL_REFUSED,
        AuditAction.BILLING_CHARGEBACK,
        AuditAction.POLICY_ACCEPTED,
        AuditAction.POLICY_PUBLISHED,
        AuditAction.CALL_ATTEMPT_CREATED,
        AuditAction.CALL_BLOCKED,
        AuditAction.CALL_ENDED,
        AuditAction.NOTICE_ENFORCEMENT_SUSPENSION,
        AuditAction.NOTICE_APPEAL_GRANT,
        AuditAction.NOTICE_TRIAL_REFUSED,
        AuditAction.NOTICE_TRIAL_ENDED,
        AuditAction.NUMBER_REFUSED,
        AuditAction.CASE_OPENED_CHARGEBACK,
        AuditAction.BILLING_REFUND_REQUEST_ANSWERED,
        AuditAction.ORG_TIMEZONE_CHANGED,
        AuditAction.CONSENT_WITHDRAWN,
        AuditAction.SMS_STOPPED,
        AuditAction.ORG_HOME_COUNTRY_CHANGED,
        AuditAction.ORG_CREATION_REFUSED,
        AuditAction.CONTACT_BLOCKED,
        AuditAction.CASE_OPENED_BILLING,
        AuditAction.CALLER_ID_PROVEN,
        AuditAction.CALLER_ID_PROOF_FAILED,
        AuditAction.CALL_PROVIDER_PASSED_OVER,
    }
    ordinary = {
        AuditAction.USER_LOGGED_IN,
        AuditAction.ORG_CREATED,
        AuditAction.CONTACT_CREATED,
        AuditAction.ENDPOINT_UPDATED,
        AuditAction.ALERT_RECEIVED,
        AuditAction.ESCALATION_CALLING,
        AuditAction.NOTICE_QUOTA_LOW,
        AuditAction.BILLING_PLAN_CHANGED,
        AuditAction.USER_EMAIL_VERIFIED,
    }
    assert {action for action in evidence if not action.is_evidence} == set()
    assert {action for action in ordinary if action.is_evidence} == set()
    # Every entry names a family or a member that exists: a typo would keep nothing.
    families = {action.value.split(".", 1)[0] for action in AuditAction}
    members = {action.value for action in AuditAction}
    assert {entry for entry in EVIDENCE if entry not in families | members} == set()
