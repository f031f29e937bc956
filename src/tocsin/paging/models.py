"""Escalations (one per paged alert), call jobs (one per contact and step, the outbox written
with each alert) and call attempts (one per dial)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class JobStatus(StrEnum):
    PENDING = "pending"
    LEASED = "leased"
    # A call may be under way (accepted, or maybe dialled by a worker that died): no worker
    # holds the job, nothing may cancel it as "not placed", and at `run_at` a worker settles it.
    AWAITING = "awaiting"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class AttemptStatus(StrEnum):
    """The small state set every provider's statuses map to.

    `sending` is written and committed before the provider is asked to dial; an attempt still in
    `sending` after its deadline is settled by asking the provider, never by dialling again.
    """

    SENDING = "sending"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    NOT_PLACED = "not_placed"
    # The safety screen refused the number at dial time; the provider was never asked.
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    # A text the provider accepted, or a mail written to the outbox: told, never answered.
    SENT = "sent"
    # A text whose sending nobody can confirm (the provider did not answer, or its worker
    # stopped between writing the attempt and hearing back): it may have gone, so it is
    # never sent again.
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self not in (AttemptStatus.SENDING, AttemptStatus.IN_PROGRESS)


# Jobs whose call is not settled yet.
OPEN_JOB_STATUSES = (JobStatus.PENDING, JobStatus.LEASED, JobStatus.AWAITING)

# Attempts that may have rung a phone: they count against per-number throttles and retries.
PLACED_ATTEMPT_STATUSES = (
    AttemptStatus.SENDING,
    AttemptStatus.IN_PROGRESS,
    AttemptStatus.ANSWERED,
    AttemptStatus.NO_ANSWER,
    AttemptStatus.BUSY,
    AttemptStatus.FAILED,
)


class JobOutcome(StrEnum):
    """How a settled job ended, which is what its escalation step needs to know."""

    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    # The callee pressed 9, or the number is on the do-not-call list.
    STOPPED = "stopped"
    # Every call (first and retries) went unanswered, to voicemail, or ended without a key.
    UNANSWERED = "unanswered"
    NOT_PLACED = "not_placed"
    BLOCKED = "blocked"
    # The organization's daily cap, monthly quota or spend limit was used up: no call placed.
    OVER_QUOTA = "over_quota"
    CANCELLED = "cancelled"
    # A text or mail went out. Telling is not an answer: the step goes on as for an
    # unanswered call.
    SENT = "sent"
    # A text or mail that could not go: refused, no provider that texts, no verified address.
    NOT_SENT = "not_sent"
    # A text that may or may not have gone, and is never sent again.
    UNKNOWN = "unknown"


class EscalationStatus(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    # Every step ran and nobody acknowledged; the alert stays open.
    EXHAUSTED = "exhausted"
    # A plan that only tells (the `notify` action) ran: everyone was texted or mailed, and
    # nobody was asked to answer. The alert stays open; it is not a failure.
    NOTIFIED = "notified"
    # A maintenance window muted the alert before its first step: nobody is paged until
    # `next_at` (the window's end), when paging starts from the first step if the alert is
    # still open and no other window covers it; never by itself when `next_at` is NULL (a
    # window that does not page when it ends).
    MUTED = "muted"


class Escalation(Base):
    """An alert's way through its plan of steps: call these contacts, wait, repeat.

    `plan` is a snapshot of the steps taken when the alert was routed, so editing a policy
    does not reshuffle an incident in progress. A worker looks at the row when `next_at` is due:
    a finished job sets it to now, a wait step to its end.
    """

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "status", "next_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=EscalationStatus.ACTIVE.value)
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSONText())
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    # How many times a `repeat` step has sent the escalation back to its first step.
    round: Mapped[int] = mapped_column(Integer, default=0)
    # The round this pass of the plan began with. A new notification for an alert whose
    # escalation ran out starts the plan again from a later round, so job rows stay unique
    # and `repeat` counts from here.
    first_round: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    step_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CallJob(Base):
    __tablename__ = "call_jobs"
    __table_args__ = (
        Index("ix_call_jobs_due", "status", "run_at"),
        Index("ix_call_jobs_alert_id", "alert_id"),
        # A number's waiting calls: the ones a call to it carries along, and the ones a
        # do-not-call entry cancels.
        Index("ix_call_jobs_number", "to_number", "status"),
        # One job per number per step of a round: advancing an escalation twice cannot call
        # anyone twice.
        UniqueConstraint(
            "escalation_id",
            "step_index",
            "round",
            "channel",
            "to_number",
            name="uq_call_jobs_step_channel_number",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    # The number called or texted; for an email job, the member's id (the address is read when
    # the mail is written).
    to_number: Mapped[str] = mapped_column(String(40))
    # voice: a call; sms: a text to the number; email: a mail to the member.
    channel: Mapped[str] = mapped_column(String(10), server_default="voice", default="voice")
    # The member this job tells, when the step paged a person rather than a number.
    user_id: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING.value)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # NULL for jobs written before escalations existed; they settle without advancing anything.
    escalation_id: Mapped[str | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), default=None
    )
    step_index: Mapped[int | None] = mapped_column(Integer, default=None)
    round: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    # Set while a per-number throttle delays the call: until when, and which limit.
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    hold_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Times a worker failed on this job with an error of its own (not a call outcome); the
    # auditor reports a job that keeps failing.
    failures: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    # While another job's call to the same number carries this job's alert too (one call for
    # all of a number's open alerts), that call's attempt; the job waits for its end.
    # (No foreign key: attempts already point at jobs, and a cycle of keys would make every
    # insert order matter. Both go with their alert.)
    riding_attempt_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    # Calls of other jobs that carried this job's alert, counted like its own placed calls.
    carried_calls: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    # The request id of the webhook that caused it (its alert's), so the worker's log lines
    # about this call can be found from the API's.
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallAttempt(Base):
    __tablename__ = "call_attempts"
    __table_args__ = (
        UniqueConstraint("job_id", "attempt_no", name="uq_call_attempts_job_attempt"),
        Index("ix_call_attempts_alert_id", "alert_id"),
        # Per-number throttles count a number's recent attempts.
        Index("ix_call_attempts_to_number_created_at", "to_number", "created_at"),
        # Usage reports count an organization's calls by day and endpoint.
        Index("ix_call_attempts_org_id_created_at", "org_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("call_jobs.id", ondelete="CASCADE"))
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    # The number called or texted; for an e-mail, the member's id, as on the job.
    to_number: Mapped[str] = mapped_column(String(40))
    # voice: a call; sms: a text; email: a mail to the member, through the outbox. Only calls
    # count against throttles, caps and retries (paging/texts.py).
    channel: Mapped[str] = mapped_column(String(10), server_default="voice", default="voice")
    caller_id: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(40))
    # The organization's provider account that took the call; NULL for one of the platform's.
    provider_account_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # The platform provider (by its configured name) that took the call, when no account did.
    platform_provider: Mapped[str | None] = mapped_column(String(40), default=None)
    # Placed through the simulator: nobody was called, and no key pressed was a person's.
    simulated: Mapped[bool] = mapped_column(server_default=false(), default=False)
    provider_call_id: Mapped[str | None] = mapped_column(String(200), default=None)
    worker_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.SENDING.value)
    last_event_sequence: Mapped[int] = mapped_column(Integer, default=0)
    spoken_text: Mapped[str] = mapped_column(Text)
    # The language of the call's fixed prompts (telephony/prompts.py), chosen when the attempt
    # was written (the contact's, else the paged member's, else the organization's); NULL for
    # attempts from before languages, which spoke English.
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    digits: Mapped[str] = mapped_column(String(40), default="")
    error_code: Mapped[str | None] = mapped_column(String(60), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    # The day and month counters this call was counted in (each period's start, the counters'
    # key), and its estimated cost; cleared when the count is given back because the provider
    # certainly placed nothing.
    billed_day_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    billed_month_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    billed_cents: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sending_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when the alert was acknowledged or resolved while this call was going on: the worker
    # that can reach the call hangs it up, then clears it.
    hangup_requested_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None, index=True
    )
    # A text about an alert: the reference (`K3`, shown `#K3`) a reply to it may name, told apart
    # from the other alerts texted to the same number within the reply window
    # (paging/text_replies.py). NULL for calls, mails and texts from before replies.
    reply_code: Mapped[str | None] = mapped_column(String(4), default=None)

    @property
    def placed_by(self) -> tuple[str | None, str | None]:
        """The provider that took the call, as `ProviderChoice.identity` names one."""
        return self.provider_account_id, self.platform_provider


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # `open_dedup_key` holds the dedup key while the alert is not resolved and NULL after, so
        # the unique constraint allows one open alert per key on both SQLite and PostgreSQL
        # (NULLs never collide) without a partial index.
        UniqueConstraint("endpoint_id", "open_dedup_key", name="uq_alerts_open_dedup"),
        Index("ix_alerts_org_id_id", "org_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), index=True
    )
    dedup_key: Mapped[str] = mapped_column(String(200))
    open_dedup_key: Mapped[str | None] = mapped_column(String(200), default=None)
    # The id of the webhook request that opened it, which its call jobs carry to the worker.
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.OPEN.value)
    severity: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(JSONText())
    content_type: Mapped[str] = mapped_column(String(100))
    # Which sender's format was recognised (generic, alertmanager, grafana, uptime_kuma); it
    # picks the default template of what the call says.
    source: Mapped[str] = mapped_column(String(20), server_default="generic")
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # The member whose key acknowledged it (the number's owner), when a person did.
    acknowledged_user_id: Mapped[str | None] = mapped_column(String(40), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    resolved_user_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # The maintenance window that muted the alert (the last one, if several did), and the end
    # of its occurrence that did. Kept after paging starts: the alert was muted, and by whom.
    # (No foreign key: windows are never deleted, only marked so; both go with their org.)
    muted_by_window_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class SmsReply(Base):
    """Evidence of a reply to an alert text ("1", "2 K3"), as the provider delivered it, and
    what it did. One row per provider message, so a webhook delivered again does nothing
    twice (`paging.text_replies`). Only what the message was read as is kept (the action and
    the reference), never the message itself. Never deleted.

    `outcome`: `acknowledged`, `resolved`, `already_acknowledged`, `already_resolved`,
    `no_alert` (the number was texted no alert it may answer here), `unknown_reference`,
    `ambiguous_reference`. `reply` says what became of Tocsin's answer, as for a keyword:
    `pending`, `sent`, `failed`, or `none` (`reply_detail` says why none was due)."""

    __tablename__ = "sms_replies"
    __table_args__ = (
        UniqueConstraint("provider", "message_id", name="uq_sms_replies_provider_message"),
        Index("ix_sms_replies_from_received", "from_number", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The provider's kind (twilio, ..., simulator) and its id for the message.
    provider: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(100))
    # The organization's provider account the message arrived for; NULL for the platform's.
    account_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # The organization of the alert it answered, else of the account; NULL for neither.
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    from_number: Mapped[str] = mapped_column(String(20))
    to_number: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(4), default=None)
    # The alert it answered, and the text it answered (an attempt); NULL when none matched.
    alert_id: Mapped[str | None] = mapped_column(String(40), default=None)
    attempt_id: Mapped[str | None] = mapped_column(String(40), default=None)
    outcome: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reply: Mapped[str] = mapped_column(String(10))
    reply_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    reply_detail: Mapped[str | None] = mapped_column(Text, default=None)
