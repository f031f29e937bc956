"""Every action the audit log records, each defined once.

A member's value is what the log stores and what the API, the dashboard and staff search by
("call.blocked"; a prefix such as "call." finds a family), so values never change once shipped.
Each action is written by exactly one command; `tests/audit/test_actions.py` holds the code to
that.
"""

from __future__ import annotations

from enum import StrEnum

# Trust and safety evidence: kept for the platform's minimum (TOCSIN_EVIDENCE_RETENTION_DAYS)
# whatever an organization's plan keeps (trust/retention.py). An entry is a family, the part of
# a value before its first dot, which takes in every member of it present and future, or one
# member's value. Everything else is ordinary and follows the plan.
EVIDENCE = frozenset(
    {
        # Enforcement and the case queue, a case's history included.
        "enforcement",
        "case",
        # Consent, do-not-call, opt-outs (the SMS stop list too) and numbers refused or blocked.
        # (The codes sent to numbers are rows of number_verifications, which nothing purges.)
        "consent",
        "number",
        "sms",
        "contact.blocked",
        "contact.unblocked",
        # Every call placed or refused, and what stopped it; every text to a member likewise.
        "call",
        "text",
        # Which numbers an organization proved it may show as its caller ID, and how: what an
        # abuse report of a spoofed caller ID is judged against.
        "caller_id",
        # Which policy was in force and who accepted it.
        "policy",
        # Trial claims and refusals (the repeated-trial detector reads 30 days of them), and
        # chargebacks and the refund requests that excuse them (the rule looks back 12 months).
        "billing.trial_started",
        "billing.trial_refused",
        "billing.chargeback",
        "billing.refund_request_recorded",
        "billing.refund_request_answered",
        # What could be evasion: a time-zone change moves where quota periods end, a home
        # country change which calls are international, and a refused organization is someone
        # marked trying again.
        "org.timezone_changed",
        "org.home_country_changed",
        "org.creation_refused",
        # A termination's end of the subscription.
        "billing.subscription_ended",
        "billing.subscription_cancel_failed",
        # What the owners were told about enforcement, appeals, trials and policy changes.
        "notice.enforcement_warning",
        "notice.enforcement_suspension",
        "notice.enforcement_termination",
        "notice.appeal_grant",
        "notice.appeal_uphold",
        "notice.trial_refused",
        "notice.trial_ended",
        "notice.contacts_blocked",
        "notice.calls_stopped",
        # What a member's termination took from an organization it was not about.
        "notice.member_keys_revoked",
        "notice.consent_withdrawn",
        "notice.policy_change",
    }
)


class AuditAction(StrEnum):
    # People and their sign-in.
    USER_CREATED = "user.created"
    USER_SIGNED_UP = "user.signed_up"
    USER_LOGGED_IN = "user.logged_in"
    USER_MFA_PASSED = "user.mfa_passed"
    USER_MFA_ENABLED = "user.mfa_enabled"
    USER_MFA_DISABLED = "user.mfa_disabled"
    USER_EMAIL_LINK_SENT = "user.email_link_sent"
    USER_EMAIL_VERIFIED = "user.email_verified"
    USER_EMAIL_CHANGED = "user.email_changed"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 (a name, not a secret)
    USER_PASSWORD_RESET_REQUESTED = "user.password_reset_requested"  # noqa: S105 (a name, not a secret)
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 (a name, not a secret)
    # A sign-up with an address that has an account: answered as any sign-up, its owner mailed.
    USER_SIGN_UP_REPEATED = "user.sign_up_repeated"
    AUTH_REFRESH_TOKEN_REUSED = "auth.refresh_token_reused"  # noqa: S105 (a name, not a secret)
    PLATFORM_ADMIN_GRANTED = "platform_admin.granted"
    PLATFORM_ADMIN_REVOKED = "platform_admin.revoked"

    # Organizations, their members and keys.
    ORG_CREATED = "org.created"
    ORG_UPDATED = "org.updated"
    ORG_CALLING_POLICY_CHANGED = "org.calling_policy_changed"
    ORG_HOME_COUNTRY_CHANGED = "org.home_country_changed"
    ORG_CREATION_REFUSED = "org.creation_refused"
    CONTACT_BLOCKED = "contact.blocked"
    CONTACT_UNBLOCKED = "contact.unblocked"
    ORG_TIMEZONE_CHANGED = "org.timezone_changed"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    MEMBER_LANGUAGE_CHANGED = "member.language_changed"
    INVITE_CREATED = "invite.created"
    INVITE_ACCEPTED = "invite.accepted"
    INVITE_REVOKED = "invite.revoked"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"

    # Paging configuration.
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_DELETED = "contact.deleted"
    ENDPOINT_CREATED = "endpoint.created"
    ENDPOINT_UPDATED = "endpoint.updated"
    ENDPOINT_DELETED = "endpoint.deleted"
    ESCALATION_CREATED = "escalation.created"
    ESCALATION_UPDATED = "escalation.updated"
    ESCALATION_DELETED = "escalation.deleted"
    PROVIDER_CREATED = "provider.created"
    PROVIDER_UPDATED = "provider.updated"
    PROVIDER_DELETED = "provider.deleted"
    CALLER_ID_ADDED = "caller_id.added"
    CALLER_ID_CODE_SENT = "caller_id.code_sent"
    CALLER_ID_PROVEN = "caller_id.proven"
    CALLER_ID_PROOF_FAILED = "caller_id.proof_failed"
    CALLER_ID_UNPROVEN = "caller_id.unproven"
    CALLER_ID_REMOVED = "caller_id.removed"

    # Numbers: consent and the lists that stop calls.
    CONSENT_RECORDED = "consent.recorded"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    NUMBER_DO_NOT_CALL = "number.do_not_call"
    NUMBER_PLATFORM_OPT_OUT = "number.platform_opt_out"
    # A number the screen refused when someone tried to add it: the policy counts an attempt to
    # get a blocked number past the screen as a violation, so the attempt is evidence.
    NUMBER_REFUSED = "number.refused"
    # The SMS stop list: a STOP texted to Tocsin, a START that lifted it, a text not sent.
    SMS_STOPPED = "sms.stopped"
    SMS_RESUMED = "sms.resumed"
    SMS_REFUSED = "sms.refused"

    # Alerts and their escalations.
    ALERT_RECEIVED = "alert.received"
    ALERT_REPEATED = "alert.repeated"
    ALERT_REFUSED = "alert.refused"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    ALERT_RESOLVED = "alert.resolved"
    ESCALATION_CALLING = "escalation.calling"
    ESCALATION_CONTACTS_MISSING = "escalation.contacts_missing"
    # A schedule had nobody on call, or a member no way to be told, when a step paged them.
    ESCALATION_NOBODY_ON_CALL = "escalation.nobody_on_call"
    ESCALATION_MEMBER_UNREACHABLE = "escalation.member_unreachable"
    ESCALATION_WAITING = "escalation.waiting"
    ESCALATION_REPEATED = "escalation.repeated"
    ESCALATION_EXHAUSTED = "escalation.exhausted"
    ESCALATION_RESTARTED = "escalation.restarted"
    ESCALATION_STUCK = "escalation.stuck"
    ESCALATION_NOTIFIED = "escalation.notified"
    # An alert whose route has nobody to call or tell (an endpoint without contacts).
    ALERT_NOBODY_PAGED = "alert.nobody_paged"
    SNS_SUBSCRIPTION_CONFIRMED = "sns.subscription_confirmed"
    SNS_SUBSCRIPTION_REFUSED = "sns.subscription_refused"
    SNS_UNSUBSCRIBED = "sns.unsubscribed"

    # Calls.
    CALL_ATTEMPT_CREATED = "call.attempt_created"
    CALL_SKIPPED = "call.skipped"
    CALL_THROTTLED = "call.throttled"
    CALL_OVER_QUOTA = "call.over_quota"
    CALL_BLOCKED = "call.blocked"
    CALL_CARRIED = "call.carried"
    CALL_FAILOVER = "call.failover"
    CALL_PROVIDER_FALLBACK = "call.provider_fallback"
    CALL_PROVIDER_PASSED_OVER = "call.provider_passed_over"
    CALL_ENDED = "call.ended"
    CALL_ERROR = "call.error"
    CALL_RETRY_SCHEDULED = "call.retry_scheduled"
    CALL_HUNG_UP = "call.hung_up"
    CALL_FAILING = "call.failing"
    CALL_TEST = "call.test"
    # A member's text (SMS) or e-mail about an alert (paging/texts.py, engine/texting.py).
    TEXT_SENT = "text.sent"
    TEXT_FAILED = "text.failed"
    TEXT_UNCONFIRMED = "text.unconfirmed"
    TEXT_SKIPPED = "text.skipped"
    EMAIL_QUEUED = "email.queued"
    EMAIL_SKIPPED = "email.skipped"
    TEMPLATE_FAILED = "template.failed"

    # Billing.
    BILLING_TRIAL_STARTED = "billing.trial_started"
    BILLING_TRIAL_REFUSED = "billing.trial_refused"
    BILLING_PLAN_CHANGED = "billing.plan_changed"
    BILLING_UNKNOWN_PRICE = "billing.unknown_price"
    BILLING_CHARGEBACK = "billing.chargeback"
    BILLING_REFUND_REQUEST_RECORDED = "billing.refund_request_recorded"
    BILLING_REFUND_REQUEST_ANSWERED = "billing.refund_request_answered"
    BILLING_EVENT_UNMATCHED = "billing.event_unmatched"
    BILLING_SUBSCRIPTION_ENDED = "billing.subscription_ended"
    BILLING_SUBSCRIPTION_CANCEL_FAILED = "billing.subscription_cancel_failed"

    # Trust and safety.
    POLICY_PUBLISHED = "policy.published"
    POLICY_ACCEPTED = "policy.accepted"
    ENFORCEMENT_WARNING = "enforcement.warning"
    ENFORCEMENT_SUSPENSION = "enforcement.suspension"
    ENFORCEMENT_TERMINATION = "enforcement.termination"
    ENFORCEMENT_LIFTED = "enforcement.lifted"
    CASE_OPENED_ABUSE_REPORT = "case.opened.abuse_report"
    CASE_OPENED_ANOMALY = "case.opened.anomaly"
    CASE_OPENED_APPEAL = "case.opened.appeal"
    CASE_OPENED_CHARGEBACK = "case.opened.chargeback"
    CASE_OPENED_BILLING = "case.opened.billing"
    CASE_OPENED_OPT_OUT_REQUEST = "case.opened.opt_out_request"
    CASE_UPDATED = "case.updated"
    CASE_ACTION_TAKEN = "case.action_taken"

    # Notices to owners, one action per kind of notice (audit/notices.py).
    NOTICE_QUOTA_LOW = "notice.quota_low"
    NOTICE_QUOTA_EXHAUSTED = "notice.quota_exhausted"
    NOTICE_NO_PROVIDER = "notice.no_provider"
    NOTICE_PROVIDERS_UNUSABLE = "notice.providers_unusable"
    NOTICE_CALLER_ID_MISSING = "notice.caller_id_missing"
    NOTICE_CALL_FAILING = "notice.call_failing"
    NOTICE_ESCALATION_EXHAUSTED = "notice.escalation_exhausted"
    NOTICE_NOBODY_ON_CALL = "notice.nobody_on_call"
    NOTICE_MEMBER_UNREACHABLE = "notice.member_unreachable"
    NOTICE_NOBODY_PAGED = "notice.nobody_paged"
    NOTICE_ALERTS_REFUSED = "notice.alerts_refused"
    NOTICE_PAYMENT_FAILED = "notice.payment_failed"
    NOTICE_PAYMENT_PAST_DUE = "notice.payment_past_due"
    NOTICE_SUBSCRIPTION_PAUSED = "notice.subscription_paused"
    NOTICE_SUBSCRIPTION_CANCELED = "notice.subscription_canceled"
    NOTICE_TRIAL_REFUSED = "notice.trial_refused"
    NOTICE_TRIAL_ENDED = "notice.trial_ended"
    NOTICE_POLICY_CHANGE = "notice.policy_change"
    NOTICE_APPEAL_GRANT = "notice.appeal_grant"
    NOTICE_APPEAL_UPHOLD = "notice.appeal_uphold"
    NOTICE_ENFORCEMENT_WARNING = "notice.enforcement_warning"
    NOTICE_ENFORCEMENT_SUSPENSION = "notice.enforcement_suspension"
    NOTICE_ENFORCEMENT_TERMINATION = "notice.enforcement_termination"
    NOTICE_CONTACTS_BLOCKED = "notice.contacts_blocked"
    # Queued calls cancelled by an opt-out, a do-not-call entry or enforcement on a number.
    NOTICE_CALLS_STOPPED = "notice.calls_stopped"
    NOTICE_CONSENT_WITHDRAWN = "notice.consent_withdrawn"
    NOTICE_MEMBER_KEYS_REVOKED = "notice.member_keys_revoked"
    # An endpoint's template failed (or was stopped) at dial time: calls used the default words.
    NOTICE_TEMPLATE_FAILED = "notice.template_failed"
    # A member's text was refused; an organization's providers cannot text; a member paged by
    # e-mail has no verified address.
    NOTICE_TEXT_FAILED = "notice.text_failed"
    NOTICE_CANNOT_TEXT = "notice.cannot_text"
    NOTICE_EMAIL_UNVERIFIED = "notice.email_unverified"

    # People and projects (oncall/): a member's own numbers and notification rules, what is
    # forgotten of them when they leave, projects, their members and what belongs to them.
    PERSON_NUMBER_ADDED = "person.number_added"
    PERSON_NUMBER_REMOVED = "person.number_removed"
    PERSON_RULES_SET = "person.rules_set"
    PERSON_FORGOTTEN = "person.forgotten"
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    PROJECT_DELETED = "project.deleted"
    PROJECT_MEMBER_ADDED = "project.member_added"
    PROJECT_MEMBER_REMOVED = "project.member_removed"
    ENDPOINT_PROJECT_CHANGED = "endpoint.project_changed"
    ESCALATION_PROJECT_CHANGED = "escalation.project_changed"

    # Calendars (oncall/calendar_*.py), handoffs and gaps.
    CALENDAR_TOKEN_CREATED = "calendar_token.created"  # noqa: S105 (a name, not a secret)
    CALENDAR_TOKEN_REVOKED = "calendar_token.revoked"  # noqa: S105 (a name, not a secret)
    CALENDAR_FEED_ADDED = "calendar_feed.added"
    CALENDAR_FEED_REMOVED = "calendar_feed.removed"
    NOTICE_CALENDAR_FAILING = "notice.calendar_failing"
    NOTICE_SCHEDULE_GAP = "notice.schedule_gap"
    NOTICE_HANDOFF_ON = "notice.handoff_on"
    NOTICE_HANDOFF_OFF = "notice.handoff_off"

    # Rotations, schedules, their overrides and temporary schedules (oncall/).
    ROTATION_CREATED = "rotation.created"
    ROTATION_UPDATED = "rotation.updated"
    ROTATION_DELETED = "rotation.deleted"
    SCHEDULE_CREATED = "schedule.created"
    SCHEDULE_UPDATED = "schedule.updated"
    SCHEDULE_DELETED = "schedule.deleted"
    SCHEDULE_OVERRIDE_ADDED = "schedule.override_added"
    SCHEDULE_OVERRIDE_REMOVED = "schedule.override_removed"
    SCHEDULE_TEMPORARY_ADDED = "schedule.temporary_added"
    SCHEDULE_TEMPORARY_REMOVED = "schedule.temporary_removed"
    # A member left the organization: taken out of its rotations, layers, overrides and
    # temporary schedules, so nobody is on call who can no longer be told.
    ONCALL_MEMBER_LEFT = "oncall.member_left"

    # Texts to members that are not about an alert (handoff notices, oncall/member_texts.py),
    # and a handoff told that no longer happens.
    MEMBER_TEXT_SENT = "member_text.sent"
    MEMBER_TEXT_FAILED = "member_text.failed"
    MEMBER_TEXT_UNCONFIRMED = "member_text.unconfirmed"
    MEMBER_TEXT_SKIPPED = "member_text.skipped"
    NOTICE_MEMBER_TEXT_FAILED = "notice.member_text_failed"
    NOTICE_HANDOFF_CANCELLED = "notice.handoff_cancelled"

    # Heartbeat monitors (heartbeats/): made, changed, paused, resumed, their ping key
    # rotated, deleted; going down (a ping missed, a failure, a run too long) and up again.
    HEARTBEAT_CREATED = "heartbeat.created"
    HEARTBEAT_UPDATED = "heartbeat.updated"
    HEARTBEAT_PAUSED = "heartbeat.paused"
    HEARTBEAT_RESUMED = "heartbeat.resumed"
    HEARTBEAT_KEY_ROTATED = "heartbeat.key_rotated"
    HEARTBEAT_DELETED = "heartbeat.deleted"
    HEARTBEAT_DOWN = "heartbeat.down"
    HEARTBEAT_UP = "heartbeat.up"
    # Maintenance windows and silences (maintenance/), and the alerts they mute (paging/muting.py):
    # muted at arrival, paging started when no window covers the alert any more.
    MAINTENANCE_WINDOW_CREATED = "maintenance_window.created"
    MAINTENANCE_WINDOW_UPDATED = "maintenance_window.updated"
    MAINTENANCE_WINDOW_ENDED = "maintenance_window.ended"
    MAINTENANCE_WINDOW_DELETED = "maintenance_window.deleted"
    ALERT_MUTED = "alert.muted"
    ALERT_UNMUTED = "alert.unmuted"
    NOTICE_ALERTS_MUTED = "notice.alerts_muted"
    # The database was put back from a backup (`tocsin restore`): recorded in the restored
    # database, so its trail says that what happened after the backup is missing.
    DATABASE_RESTORED = "database.restored"
    # Outgoing webhooks (outgoing/): subscriptions, a test or a redelivery asked for, and a
    # subscription the server stopped (410 Gone, days of failures), told to the owners.
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_UPDATED = "webhook.updated"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 (a name, not a secret)
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_TEST_QUEUED = "webhook.test_queued"
    WEBHOOK_REDELIVERY_QUEUED = "webhook.redelivery_queued"
    WEBHOOK_DISABLED = "webhook.disabled"
    NOTICE_WEBHOOK_FAILING = "notice.webhook_failing"
    NOTICE_WEBHOOK_DISABLED = "notice.webhook_disabled"

    @property
    def is_evidence(self) -> bool:
        """Whether events of this action are trust and safety evidence (`EVIDENCE`)."""
        return self.value in EVIDENCE or self.value.split(".", 1)[0] in EVIDENCE


def evidence_actions() -> list[str]:
    """The values of every action that is evidence, for a query."""
    return sorted(action.value for action in AuditAction if action.is_evidence)


def of_family(family: str, kind: str) -> AuditAction:
    """The member for a family's kind ("enforcement", "suspension"); ValueError for a kind the
    enum lacks, so a new kind cannot reach the log unnamed."""
    return AuditAction(f"{family}.{kind}")
