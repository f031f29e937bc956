"""Changes to one alert, its escalation and its calls from several places at once take turns: a
resolve is never lost, one acknowledgement wins and is audited once, nothing is dialled or left
queued behind a closing alert's back, and a call never moves backwards.

The closers really run at once on PostgreSQL (threads released together by a barrier, each on a
connection of its own; this is where a resolve was lost). On SQLite the same tests show that
writers taking turns is enough. The other races are forced into their worst order on PostgreSQL
(SQLite's single writer cannot interleave them at all).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.delivery.pager import Pager
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict
from tocsin.db.engine import Database
from tocsin.engine.planning import PlanKind, plan_job
from tocsin.http.api.hooks import HookRequest, accept_hook_in
from tocsin.paging import lifecycle
from tocsin.paging.attempts import mark_unknown
from tocsin.paging.call_events import record_callback
from tocsin.paging.escalation import advance
from tocsin.paging.leases import claim_due_jobs
from tocsin.paging.models import (
    Alert,
    AlertStatus,
    CallAttempt,
    CallJob,
    Escalation,
    JobStatus,
)
from tocsin.paging.settle import DEFAULT_RETRY
from tocsin.telephony.base import CallEventKind
from tocsin.telephony.callbacks import CallbackEvent, Hook
from tocsin.telephony.dialogue import event as call_event
from tocsin.telephony.dialogue import keypress_events

pytestmark = [pytest.mark.pager(rounds=1)]

ROUNDS = 25
CLOSERS = 30

Close = Callable[..., Alert]


def _all_at_once(work: list[Callable[[], str]]) -> list[str]:
    """Run each of `work` on a thread of its own, released together; what each answered."""
    barrier = threading.Barrier(len(work))
    answers: list[str] = [""] * len(work)

    def run(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = work[index]()
        except BaseException as exc:  # reported to the test below
            answers[index] = f"raised {exc!r}"

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _closer(pager: Pager, close: Close, alert_id: str, who: str) -> Callable[[], str]:
    """One request closing the alert as the API does: its own transaction, then "ok", or the
    code of the conflict it was answered with."""

    def run() -> str:
        try:
            with pager.runtime.database.write() as session:
                close(
                    session,
                    org_id=pager.org_id,
                    alert_id=alert_id,
                    actor=Actor("user", who),
                    now=pager.clock.now(),
                )
        except Conflict as conflict:
            return conflict.code
        return "ok"

    return run


def _audited(session: Session, alert_id: str) -> Counter[str]:
    return Counter(
        session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.target_id == alert_id,
                AuditEvent.action.in_(
                    [AuditAction.ALERT_ACKNOWLEDGED.value, AuditAction.ALERT_RESOLVED.value]
                ),
            )
        )
    )


def test_a_resolve_racing_an_acknowledge_is_never_lost(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Ann"))
    for round_no in range(ROUNDS):
        alert_id = pager.fire(endpoint, {"title": f"Disk full, round {round_no}"})
        acknowledged, resolved = _all_at_once(
            [
                _closer(pager, lifecycle.acknowledge, alert_id, "acknowledger"),
                _closer(pager, lifecycle.resolve, alert_id, "resolver"),
            ]
        )
        # Acknowledging after the resolve is refused; resolving after the acknowledgement wins.
        assert resolved == "ok", f"round {round_no}: {resolved}"
        assert acknowledged in ("ok", "alert_not_open"), f"round {round_no}: {acknowledged}"
        with pager.runtime.database.read() as session:
            alert = session.get(Alert, alert_id)
            assert alert is not None
            assert (alert.status, alert.resolved_by, alert.open_dedup_key) == (
                AlertStatus.RESOLVED,
                "user:resolver",
                None,
            ), f"round {round_no}"
            assert _audited(session, alert_id) == Counter(
                {
                    AuditAction.ALERT_RESOLVED.value: 1,
                    **({AuditAction.ALERT_ACKNOWLEDGED.value: 1} if acknowledged == "ok" else {}),
                }
            ), f"round {round_no}"


@pytest.mark.parametrize(
    ("close", "refusal", "audited"),
    [
        (lifecycle.acknowledge, "alert_not_open", AuditAction.ALERT_ACKNOWLEDGED),
        (lifecycle.resolve, "alert_resolved", AuditAction.ALERT_RESOLVED),
    ],
    ids=["acknowledge", "resolve"],
)
def test_of_thirty_closers_at_once_one_wins_and_is_audited_once(
    pager: Pager, close: Close, refusal: str, audited: AuditAction
) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Ann")))
    answers = _all_at_once([_closer(pager, close, alert_id, f"person-{n}") for n in range(CLOSERS)])
    assert Counter(answers) == Counter({"ok": 1, refusal: CLOSERS - 1}), answers
    winner = f"user:person-{answers.index('ok')}"
    with pager.runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert winner in (alert.acknowledged_by, alert.resolved_by)
        assert _audited(session, alert_id) == Counter({audited.value: 1})
        closed = session.scalars(
            select(AuditEvent.details).where(
                AuditEvent.target_id == alert_id, AuditEvent.action == audited.value
            )
        ).one()
        # The one winner cancelled the one queued call; nobody cancelled it again.
        assert closed["calls_cancelled"] == 1
        pending = session.scalar(
            select(func.count())
            .select_from(CallJob)
            .where(CallJob.alert_id == alert_id, CallJob.status == JobStatus.PENDING)
        )
        assert pending == 0


def _postgres(pager: Pager) -> Database:
    database = pager.runtime.database
    if not database.is_postgres:
        pytest.skip("SQLite's writers take turns: nothing closes while another write is open")
    return database


def _acknowledge(pager: Pager, session: Session, alert_id: str) -> None:
    lifecycle.acknowledge(
        session,
        org_id=pager.org_id,
        alert_id=alert_id,
        actor=Actor("user", "acknowledger"),
        now=pager.clock.now(),
    )


def _without_waiting(database: Database, action: Callable[[Session], object]) -> None:
    """Run `action` in a second transaction that fails at once instead of waiting for a lock:
    failing shows it would have waited for the first transaction."""
    with database.write() as other:
        other.execute(text("SET LOCAL lock_timeout = '1ms'"))
        action(other)


def test_calls_an_advancing_escalation_queues_as_the_alert_closes_are_cancelled(
    pager: Pager,
) -> None:
    """A worker moves the escalation on (queueing the next step's calls) while a person
    acknowledges: the acknowledgement waits for the worker's step and cancels its calls, rather
    than cancelling the calls it saw and leaving the new ones queued."""
    database = _postgres(pager)
    alice = pager.contact("Alice")
    endpoint = pager.escalating_endpoint(
        {"type": "wait", "minutes": 1}, {"type": "call", "contact_ids": [alice]}
    )
    alert_id = pager.fire(endpoint)
    pager.clock.advance(60)
    with database.read() as session:
        escalation_id = session.scalars(
            select(Escalation.id).where(Escalation.alert_id == alert_id)
        ).one()

    closer = threading.Thread(target=_closer(pager, lifecycle.acknowledge, alert_id, "ann"))
    ending_escalation = threading.Event()

    def note_the_closer_ending_it(_c: object, _k: object, statement: str, *_: object) -> None:
        if threading.current_thread() is closer and statement.startswith("UPDATE escalations"):
            ending_escalation.set()

    event.listen(database.engine, "before_cursor_execute", note_the_closer_ending_it)
    try:
        with database.write() as advancing:
            assert advance(
                advancing, escalation_id=escalation_id, now=pager.clock.now(), skip_locked=True
            )
            closer.start()
            # The step commits once the acknowledgement has come to the escalation, whose row
            # this transaction holds.
            assert ending_escalation.wait(timeout=30)
        closer.join()
    finally:
        event.remove(database.engine, "before_cursor_execute", note_the_closer_ending_it)

    with database.read() as session:
        jobs = session.execute(
            select(CallJob.status, CallJob.outcome).where(CallJob.alert_id == alert_id)
        ).all()
        ended = session.scalar(select(Escalation.status).where(Escalation.id == escalation_id))
        status = session.scalar(select(Alert.status).where(Alert.id == alert_id))
    assert status == AlertStatus.ACKNOWLEDGED
    assert jobs == [(JobStatus.CANCELLED, "acknowledged")]
    assert ended == "acknowledged"


def _claimed_jobs(pager: Pager, count: int = 1) -> list[str]:
    with pager.runtime.database.write() as session:
        job_ids = claim_due_jobs(
            session,
            worker_id=pager.worker.worker_id,
            now=pager.clock.now(),
            lease=timedelta(minutes=1),
            limit=count,
            skip_locked=True,
        )
    assert len(job_ids) == count
    return job_ids


def _claimed_job(pager: Pager) -> str:
    [job_id] = _claimed_jobs(pager)
    return job_id


def _plan(pager: Pager, session: Session, job_id: str) -> PlanKind:
    dialer = pager.worker.dialer
    return plan_job(session, job_id=job_id, now=pager.clock.now(), dialer=dialer).kind


def test_a_worker_about_to_dial_waits_for_an_acknowledgement_being_written(
    pager: Pager,
) -> None:
    """Read while the acknowledgement is uncommitted, the alert would look open: the worker
    would dial after the acknowledgement had looked for calls to hang up, and nobody would."""
    database = _postgres(pager)
    alert_id = pager.fire(pager.endpoint(pager.contact("Ann")))
    job_id = _claimed_job(pager)
    with database.write() as closing:
        _acknowledge(pager, closing, alert_id)
        with pytest.raises(OperationalError, match="lock timeout"):
            _without_waiting(database, lambda planning: _plan(pager, planning, job_id))
    with database.write() as planning:
        assert _plan(pager, planning, job_id) == PlanKind.SKIP
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(CallAttempt)) == 0


def test_an_acknowledgement_waits_for_a_call_being_planned_and_hangs_it_up(
    pager: Pager,
) -> None:
    database = _postgres(pager)
    alert_id = pager.fire(pager.endpoint(pager.contact("Ann")))
    job_id = _claimed_job(pager)
    with database.write() as planning:
        assert _plan(pager, planning, job_id) == PlanKind.DIAL
        with pytest.raises(OperationalError, match="lock timeout"):
            _without_waiting(database, lambda closing: _acknowledge(pager, closing, alert_id))
    with database.write() as closing:
        _acknowledge(pager, closing, alert_id)
    with database.read() as session:
        requested = session.scalars(
            select(CallAttempt.hangup_requested_at).where(CallAttempt.alert_id == alert_id)
        ).all()
    assert requested == [pager.clock.now()]


def test_a_key_arriving_as_the_call_ends_never_moves_the_call_backwards(pager: Pager) -> None:
    """The callback with the key had read the call before the one saying it ended committed;
    deciding on that read would write a finished call back to ringing."""
    database = _postgres(pager)
    alert_id = pager.fire(pager.endpoint(pager.contact("Ann")))
    job_id = _claimed_job(pager)
    with database.write() as planning:
        assert _plan(pager, planning, job_id) == PlanKind.DIAL
    with database.read() as session:
        key = session.scalars(select(CallAttempt.idempotency_key)).one()

    def deliver(session: Session, callback: CallbackEvent) -> None:
        record_callback(
            session,
            provider="simulator",
            event=callback,
            now=pager.clock.now(),
            policy=DEFAULT_RETRY,
            verification_box=pager.runtime.verification_box,
        )

    def press_1() -> None:
        pressed = CallbackEvent(key, Hook.KEYPRESS, "", events=tuple(keypress_events("1", 0)))
        with database.write() as session:
            deliver(session, pressed)

    keypress = threading.Thread(target=press_1)
    locking = threading.Event()

    def note_the_keypress_locking(_c: object, _k: object, statement: str, *_: object) -> None:
        # The key's callback waits for the call's row: reading it under a lock, or updating it
        # (an answer is recorded by one guarded UPDATE).
        locks_the_call = "FOR UPDATE" in statement or statement.startswith("UPDATE call_attempts")
        if threading.current_thread() is keypress and locks_the_call:
            locking.set()

    event.listen(database.engine, "before_cursor_execute", note_the_keypress_locking)
    try:
        with database.write() as ending:
            deliver(
                ending, CallbackEvent(key, Hook.STATUS, "", (call_event(CallEventKind.COMPLETED),))
            )
            keypress.start()
            assert locking.wait(timeout=30)
        keypress.join()
    finally:
        event.remove(database.engine, "before_cursor_execute", note_the_keypress_locking)

    with database.read() as session:
        attempt = session.scalars(select(CallAttempt)).one()
        status = session.scalar(select(Alert.status).where(Alert.id == alert_id))
    # What the callbacks say in the order they committed: the call ended unanswered, and a
    # key reported after its end is older than it (telephony/dialogue.py ranks events).
    assert (attempt.status, attempt.last_event_sequence, attempt.digits) == ("no_answer", 9, "")
    assert status == AlertStatus.OPEN


def test_a_call_ending_does_not_wait_for_another_call_of_its_alert_being_planned(
    pager: Pager,
) -> None:
    """Both only read the alert: they share its lock. (Taken exclusively, the ending call
    would wait for the planning worker, which may be waiting for the counters the ending
    call has just given back: a deadlock.)"""
    database = _postgres(pager)
    alert_id = pager.fire(pager.endpoint(pager.contact("Ann"), pager.contact("Bob"), routing="all"))
    first, second = _claimed_jobs(pager, 2)
    with database.write() as planning:
        assert _plan(pager, planning, first) == PlanKind.DIAL
    with database.read() as session:
        ended = session.scalars(select(CallAttempt.id).where(CallAttempt.job_id == first)).one()
    with database.write() as planning:
        assert _plan(pager, planning, second) == PlanKind.DIAL
        _without_waiting(
            database,
            lambda ending: mark_unknown(
                ending,
                attempt_id=ended,
                now=pager.clock.now(),
                message="the provider did not say",
                policy=DEFAULT_RETRY,
            ),
        )
    with database.read() as session:
        retried = session.scalar(select(CallJob.status).where(CallJob.id == first))
        status = session.scalar(select(Alert.status).where(Alert.id == alert_id))
    assert (retried, status) == (JobStatus.PENDING, AlertStatus.OPEN)


SENDERS = 12


def test_the_same_new_alert_sent_at_once_is_created_once_and_repeated_by_the_rest(
    pager: Pager,
) -> None:
    """Twelve webhooks of one new alert at once, each in its own transaction (on PostgreSQL
    really side by side): one creates the alert, the others repeat it, none fails and no
    second alert (or second call) appears."""
    contact = pager.contact("On call")
    endpoint_id = pager.endpoint(contact)
    body = b'{"title": "Disk full on db1", "severity": "critical"}'

    def sender() -> str:
        hook = HookRequest(endpoint_id, pager.ingest_key, body, "application/json", [], None, None)
        with pager.runtime.database.write() as session:
            return accept_hook_in(session, runtime=pager.runtime, hook=hook).outcome.value

    answers = _all_at_once([sender] * SENDERS)
    assert Counter(answers) == {"created": 1, "deduplicated": SENDERS - 1}
    with pager.runtime.database.read() as session:
        alerts = session.scalar(
            select(func.count()).select_from(Alert).where(Alert.endpoint_id == endpoint_id)
        )
        jobs = session.scalar(select(func.count()).select_from(CallJob))
        repeats = session.scalar(select(Alert.repeat_count).where(Alert.endpoint_id == endpoint_id))
    assert (alerts, jobs, repeats) == (1, 1, SENDERS - 1)
