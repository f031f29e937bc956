"""The delivery worker: claims due call jobs and carries each through to a settled attempt.

Database work runs in threads (SQLAlchemy is synchronous); calls run as asyncio tasks, so one
worker holds many calls at once. The same class runs inside `tocsin serve` and as
`tocsin worker`; any number may run against PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from tocsin.core import metrics
from tocsin.core.actors import Actor
from tocsin.core.clock import Clock
from tocsin.core.ids import new_id
from tocsin.core.logs import bound, mask_number
from tocsin.db.engine import Database
from tocsin.db.wakeup import listen_for_work
from tocsin.engine import auditor, mailer, member_texting, planning, texting
from tocsin.engine.calendar_refresh import refresh_calendars
from tocsin.engine.heartbeat_checks import check_heartbeats
from tocsin.engine.planning import PlanKind
from tocsin.engine.schedule import Work, look_for_work
from tocsin.engine.settings import Dialer, WorkerSettings
from tocsin.engine.snapshot import AttemptSnapshot
from tocsin.engine.subscription_endings import end_subscriptions
from tocsin.engine.texting import TextOutcome, TextRefused, TextSent, TextUnknown
from tocsin.engine.webhooks import deliver_webhooks
from tocsin.mail.smtp import MailSettings
from tocsin.maintenance import muting
from tocsin.oncall import member_texts
from tocsin.oncall.gaps import check_all_gaps
from tocsin.oncall.handoffs import tell_handoffs
from tocsin.oncall.models import MemberTextStatus
from tocsin.outgoing.deliveries import purge_log
from tocsin.paging import attempts, hangups, texts
from tocsin.paging.hangups import REST_KINDS, Hangup
from tocsin.paging.leases import ClaimedJob, claimed_job, extend_leases
from tocsin.paging.models import AttemptStatus
from tocsin.providers.caller_ids import accounts_without_caller_id
from tocsin.providers.choice import (
    FixedProvider,
    ProviderChain,
    ProviderChoice,
    ProviderChoices,
    ProviderDirectory,
)
from tocsin.providers.test_call_answers import purge_test_calls
from tocsin.telephony.base import (
    CallEvent,
    CallEventKind,
    CallHandle,
    CallRequest,
    Provider,
    ProviderError,
    TextMessage,
    close_provider,
    text_sender,
)
from tocsin.telephony.prompts import voice_for
from tocsin.trust.anomalies.scan import run_scan
from tocsin.trust.retention import purge_audit_log

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

# Events of a call that is already in progress (mark_accepted made it so) that change nothing
# the attempt row keeps; the worker does not spend a transaction on each. Callbacks, which can
# arrive before the acceptance is recorded, still apply them.
_NOTHING_TO_RECORD = frozenset({CallEventKind.TRYING, CallEventKind.RINGING})

# The shortest an idle worker waits before looking for work again.
MIN_IDLE_SECONDS = 0.05
# Jobs claimed in one look. A worker holds many calls at once (a SIP call holds its place
# until it ends), but takes a storm's due jobs a few at a time: its first calls are planned
# while it looks again, and other workers looking meanwhile take their share.
CLAIM_BATCH = 8


async def ready_batches(events: AsyncIterator[CallEvent]) -> AsyncIterator[list[CallEvent]]:
    """A call's events, each batch those that had come by the time the first of them was
    taken: a batch ends as soon as the next event is not there at once, so none waits on a
    later one, while events that come together (a simulated call's, a burst of callbacks) are
    recorded in one transaction."""
    iterator = aiter(events)
    pending = asyncio.ensure_future(anext(iterator))
    try:
        while True:
            try:
                batch = [await pending]
            except StopAsyncIteration:
                return
            while True:
                pending = asyncio.ensure_future(anext(iterator))
                await asyncio.sleep(0)  # one turn of the loop: whatever is there already
                if not pending.done():
                    break
                try:
                    batch.append(pending.result())
                except StopAsyncIteration:
                    yield batch
                    return
            yield batch
    finally:
        pending.cancel()


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{new_id('w')[-8:]}"


class Worker:
    def __init__(
        self,
        database: Database,
        provider: Provider | FixedProvider | ProviderDirectory,
        *,
        clock: Clock,
        settings: WorkerSettings,
        worker_id: str | None = None,
    ) -> None:
        """`provider` is one provider for every call, or a directory that picks each
        organization's providers (with failover) at dial time."""
        self.database = database
        self.providers: ProviderChoices = (
            provider
            if isinstance(provider, FixedProvider | ProviderDirectory)
            else FixedProvider(provider, caller_id=settings.caller_id)
        )
        self.clock = clock
        self.settings = settings
        self.worker_id = worker_id or new_worker_id()
        # When this worker last looked for work (its loop turns at least every poll, or when a
        # call ends while all its slots are busy): what a readiness probe asks of it.
        self.last_looked_at: datetime | None = None
        self._held: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # Calls this worker is running, by attempt, so it can hang them up.
        self._live: dict[str, CallHandle] = {}
        # Calls being hung up, or hung up already and about to end: asked once.
        self._hanging_up: set[str] = set()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        platform = self.providers.platform_chain().choices[:1]
        self.dialer = Dialer(
            worker_id=self.worker_id,
            settings=settings,
            provider=platform[0].provider.name if platform else "none",
            platform_provider=platform[0].platform_name if platform else None,
            skip_locked=database.is_postgres,
        )

    # Running ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """Ask the loop to look for due jobs now; safe to call from any thread."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _warn_of_accounts_without_caller_id(self) -> None:
        """Say at start-up which organizations' accounts cannot present a number of their own:
        their calls are passed over (and blocked where nothing else can place them), which
        each alert's timeline and the owners are told too, but an operator upgrading should
        hear it at once."""

        def read() -> list[str]:
            with self.database.read() as session:
                return accounts_without_caller_id(session)

        for line in await asyncio.to_thread(read):
            log.warning("calls will pass over this account until it has a caller ID: %s", line)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        settings = self.settings
        helpers = [
            asyncio.create_task(self._keep_leases()),
            asyncio.create_task(
                self._every(
                    stop,
                    settings.audit_interval,
                    "audit escalations",
                    lambda session, now: auditor.audit_and_report(session, now=now),
                )
            ),
            asyncio.create_task(
                self._every(
                    stop,
                    settings.purge_interval,
                    "purge the audit log",
                    lambda session, now: purge_audit_log(
                        session,
                        billing=settings.billing,
                        evidence_days=settings.evidence_retention_days,
                        now=now,
                    ),
                )
            ),
            asyncio.create_task(
                self._every(
                    stop,
                    settings.purge_interval,
                    "forget old test calls",
                    lambda session, now: purge_test_calls(session, now=now),
                )
            ),
            asyncio.create_task(
                self._every(
                    stop,
                    settings.anomaly_interval,
                    "scan for anomalies",
                    lambda session, now: run_scan(
                        session, now=now, auto_suspend=settings.anomaly_auto_suspend
                    ),
                )
            ),
            asyncio.create_task(
                self._repeat(
                    stop,
                    settings.paddle_cancel_interval,
                    "end subscriptions",
                    self.end_subscriptions,
                )
            ),
            # On call: handoff notices, gap flags, external calendars.
            asyncio.create_task(
                self._every(
                    stop,
                    settings.handoff_interval,
                    "tell handoffs",
                    lambda session, now: tell_handoffs(
                        session, now=now, ahead=settings.handoff_notice
                    ),
                )
            ),
            asyncio.create_task(
                self._every(
                    stop,
                    settings.gap_interval,
                    "look for gaps in schedules",
                    lambda session, now: check_all_gaps(session, now=now),
                )
            ),
            # Each feed says when it is due; each round fetches those that are.
            asyncio.create_task(
                self._repeat(
                    stop, settings.calendar_interval, "refresh calendars", self.refresh_calendars
                )
            ),
            # Members' texts that are not about an alert (handoff notices).
            asyncio.create_task(
                self._repeat(
                    stop, settings.handoff_interval, "send members' texts", self.send_member_texts
                )
            ),
            # Heartbeat monitors whose ping did not come in time.
            asyncio.create_task(
                self._repeat(
                    stop, settings.heartbeat_interval, "check heartbeats", self.check_heartbeats
                )
            ),
        ]
        if settings.mail is not None:
            helpers.append(asyncio.create_task(self._send_mail(stop, settings.mail)))
        if settings.webhooks is not None:
            helpers.append(
                asyncio.create_task(
                    self._repeat(
                        stop, settings.webhook_interval, "send webhooks", self.send_webhooks
                    )
                )
            )
            helpers.append(
                asyncio.create_task(
                    self._every(
                        stop,
                        settings.purge_interval,
                        "purge the webhook delivery log",
                        lambda session, now: purge_log(session, now=now),
                    )
                )
            )
        if self.database.is_postgres:
            helpers.append(asyncio.create_task(listen_for_work(self.database.url, self.wake)))
        log.info("worker %s started", self.worker_id)
        await self._warn_of_accounts_without_caller_id()
        try:
            while not stop.is_set():
                try:
                    work = await self.look_for_work()
                    self.last_looked_at = self.clock.now()
                    moved = await self.advance(work.escalation_ids)
                except Exception:
                    # A database that is briefly down must not end the worker: wait, try again.
                    log.exception("worker %s could not claim work", self.worker_id)
                    work, moved = Work([], []), 0
                if moved:
                    continue  # the escalations may have queued calls
                if not work.job_ids or len(self._tasks) >= self.settings.concurrency:
                    await self._idle(stop, wake, self._until(work))
        finally:
            leases, *others = helpers
            for helper in others:
                helper.cancel()
            # Their transactions in flight end first (Database.off_loop): none is left holding
            # rows another worker would pass over (SKIP LOCKED) while this one stops.
            await asyncio.gather(*others, return_exceptions=True)
            # The leases of the calls still running are kept while they finish, so no other
            # worker takes their jobs meanwhile.
            await self._drain()
            leases.cancel()
            await asyncio.gather(leases, return_exceptions=True)
            # Sockets closed and SIP registrations withdrawn (REGISTER with Expires: 0).
            for provider in self.providers.built():
                await close_provider(provider)
            log.info("worker %s stopped", self.worker_id)

    async def _drain(self) -> None:
        """Let the calls this worker is running end, for `shutdown_grace` at most, then stop
        them. A call stopped here keeps its attempt `sending` or `in_progress`, with its
        deadline, and its job stays leased until the lease runs out: the next worker to claim
        it reconciles the attempt (asks the provider, or waits out the call's window) and never
        dials it again. Nothing new is claimed meanwhile: the loop has ended."""
        if not self._tasks:
            return
        grace = self.settings.shutdown_grace.total_seconds()
        log.info(
            "worker %s stopping: waiting up to %s s for %d calls",
            self.worker_id,
            grace,
            len(self._tasks),
        )
        # The loop's own time, not the injected clock: a manual clock's sleep returns at once,
        # and a stop must not cut short the calls of a test's worker.
        _, left = await asyncio.wait(set(self._tasks), timeout=grace)
        if left:
            log.warning(
                "worker %s stopping with calls still running; the next worker settles them "
                "without dialling again",
                self.worker_id,
                extra={"attempt_ids": sorted(self._live)},
            )
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    def seen_within(self, seconds: float) -> bool:
        """Whether this worker looked for work in the last `seconds` (False before it first
        has)."""
        looked = self.last_looked_at
        return looked is not None and (self.clock.now() - looked).total_seconds() <= seconds

    async def _idle(self, stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
        """Wait for `wake`, a call to finish, or `seconds`."""
        waiters: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(wake.wait()),
            asyncio.ensure_future(stop.wait()),
        ]
        if self._tasks:
            # A copy: the live set empties as calls finish, and waiting on nothing is an error.
            waiters.append(asyncio.ensure_future(asyncio.wait(set(self._tasks))))
        _, pending = await asyncio.wait(
            waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in pending:
            waiter.cancel()
        wake.clear()

    def _until(self, work: Work) -> float:
        """How long an idle worker may sleep: until the next due work, at most its poll."""
        poll = self.settings.poll_seconds
        if work.next_due is None:
            return poll  # nothing scheduled, or full: the next call to finish wakes the loop
        # Work already due that this worker did not get is another worker's (locked, or just
        # claimed): look again shortly rather than spin.
        remaining = (work.next_due - self.clock.now()).total_seconds() + 0.01
        return min(poll, max(MIN_IDLE_SECONDS, remaining))

    async def look_for_work(self) -> Work:
        """Claim due jobs for the free call slots and start them; find due escalations."""
        # Claims go first: a due job waits for nothing queued but other urgent steps.
        work = await self._write_urgent(
            look_for_work,
            worker_id=self.worker_id,
            now=self.clock.now(),
            lease=self.settings.lease,
            job_limit=max(0, min(CLAIM_BATCH, self.settings.concurrency - len(self._tasks))),
            escalation_limit=self.settings.escalation_batch,
            skip_locked=self.database.is_postgres,
            running=list(self._live),
        )
        for job in work.jobs:
            self._held.add(job.id)
            self._start(self._guarded(job))
        for hangup in work.hangups:
            if hangup.attempt_id not in self._hanging_up and self._can_hang_up(hangup):
                self._hanging_up.add(hangup.attempt_id)
                self._start(self._hang_up(hangup))
        return work

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Hanging up ----------------------------------------------------------------------------

    def _can_hang_up(self, hangup: Hangup) -> bool:
        """A call this worker runs, or one a REST provider runs; not one of ours still being
        dialled (the next look finds it running)."""
        return hangup.attempt_id in self._live or (
            hangup.provider in REST_KINDS and hangup.provider_call_id is not None
        )

    async def _hang_up(self, hangup: Hangup) -> None:
        try:
            claimed = await self._write(hangups.claim, attempt_id=hangup.attempt_id)
            live = self._live.get(hangup.attempt_id)
            if live is not None:
                # Ours alone, marked or found by its closed alert.
                await live.hangup()
                outcome = "hung up"
            elif claimed:
                outcome = await self._end_by_api(hangup)
            else:
                return  # another worker took it
            await self._write(
                hangups.record_hangup,
                hangup=hangup,
                worker_id=self.worker_id,
                now=self.clock.now(),
                outcome=outcome,
            )
        except Exception:
            log.exception("worker %s could not hang up call %s", self.worker_id, hangup.attempt_id)
        finally:
            if hangup.attempt_id not in self._live:
                self._hanging_up.discard(hangup.attempt_id)

    async def _end_by_api(self, hangup: Hangup) -> str:
        chain = await self._read(self.providers.choices_for, org_id=hangup.org_id)
        for choice in chain.every:
            if choice.identity != hangup.placed_by:
                continue
            end_call = getattr(choice.provider, "end_call", None)
            if end_call is None or hangup.provider_call_id is None:
                return "the provider has no way to hang up"
            try:
                await end_call(hangup.provider_call_id)
            except ProviderError as error:
                return f"the provider did not hang up: {error.user_message}"
            return "hung up through the provider's API"
        return "the provider that placed the call is no longer configured"

    async def advance(self, escalation_ids: list[str]) -> int:
        """Move on every due escalation whose step is over; returns how many moved."""
        moved = 0
        for escalation_id in escalation_ids:
            # Urgent: a step that is over queues the next person's call.
            moved += await self._write_urgent(
                muting.advance,
                escalation_id=escalation_id,
                now=self.clock.now(),
                skip_locked=self.database.is_postgres,
            )
        return moved

    async def run_until_idle(self) -> int:
        """Process jobs and escalations until nothing is due; returns how many jobs were
        started. For tests and one-shot runs."""
        started = 0
        while True:
            work = await self.look_for_work()
            moved = await self.advance(work.escalation_ids)
            if not work.job_ids and not moved and not self._tasks:
                return started
            started += len(work.job_ids)
            # As `run` does: with places free after a full claim, look again at once.
            full = len(self._tasks) >= self.settings.concurrency
            if self._tasks and not moved and (full or len(work.job_ids) < CLAIM_BATCH):
                await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)

    async def _keep_leases(self) -> None:
        """Extend the leases of the jobs this worker holds, until cancelled."""
        interval = self.settings.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            if not self._held:
                continue
            held = set(self._held)
            try:
                lost = await self._write(
                    extend_leases,
                    worker_id=self.worker_id,
                    job_ids=held,
                    now=self.clock.now(),
                    lease=self.settings.lease,
                )
            except Exception:
                log.exception("worker %s could not extend its leases", self.worker_id)
                continue
            if lost:
                log.warning("worker %s lost leases on %s", self.worker_id, sorted(lost))

    async def _every(
        self,
        stop: asyncio.Event,
        interval: timedelta,
        what: str,
        work: Callable[[Session, datetime], object],
    ) -> None:
        """Run `work(session, now)` in a write transaction every `interval` until stopped."""
        await self._repeat(stop, interval, what, lambda: self._write(work, self.clock.now()))

    async def _repeat(
        self,
        stop: asyncio.Event,
        interval: timedelta,
        what: str,
        round_: Callable[[], Awaitable[object]],
    ) -> None:
        """Await `round_()` every `interval` until stopped; a failed round is logged and the next
        one tries again."""
        while not stop.is_set():
            await asyncio.sleep(interval.total_seconds())
            try:
                await round_()
            except Exception:
                log.exception("worker %s could not %s", self.worker_id, what)

    async def _send_mail(self, stop: asyncio.Event, mail: MailSettings) -> None:
        """The mail module (engine/mailer.py), a round every MAIL_POLL; a round that fails as a
        whole (the database is down) is logged and the next one tries again."""
        while not stop.is_set():
            try:
                await mailer.deliver_mail(self.database, clock=self.clock, mail=mail)
            except Exception:
                log.exception("worker %s could not send mail", self.worker_id)
            await asyncio.sleep(mailer.MAIL_POLL.total_seconds())

    async def refresh_calendars(self) -> int:
        """One round of fetching the external calendars due; returns how many."""
        return await refresh_calendars(
            self.database, policy=self.settings.calendar_hosts, now=self.clock.now()
        )

    async def check_heartbeats(self) -> int:
        """One round of taking down the heartbeat monitors whose deadline passed (each opens
        its alert); returns how many went down."""
        went_down = await check_heartbeats(
            self.database, now=self.clock.now(), paging=self.settings.paging
        )
        if went_down:
            self.wake()  # their calls are due now
        return went_down

    async def send_webhooks(self, rounds: int = 10) -> int:
        """Outgoing webhooks due now, a batch at a time while batches come full (at most
        `rounds`); returns how many were attempted."""
        webhooks = self.settings.webhooks
        if webhooks is None:
            return 0
        attempted = 0
        for _ in range(rounds):
            sent = await deliver_webhooks(self.database, settings=webhooks, clock=self.clock)
            attempted += sent
            if sent < webhooks.batch:
                break
        return attempted

    async def end_subscriptions(self) -> int:
        """One round of asking Paddle to end the subscriptions due; returns how many."""
        return await end_subscriptions(
            self.database, self.settings.paddle_api, now=self.clock.now()
        )

    # One job ---------------------------------------------------------------------------------

    async def _guarded(self, job: ClaimedJob) -> None:
        try:
            await self._process_logged(job)
        except Exception as error:
            log.exception("worker %s failed on job %s", self.worker_id, job.id)
            await self._record_failure(job.id, error)
        finally:
            self._held.discard(job.id)

    async def _record_failure(self, job_id: str, error: Exception) -> None:
        """Say on the alert's timeline that the job failed, and try it again after a while;
        if even that cannot be written, the lease expires and another worker takes the job."""
        try:
            await self._write(
                attempts.record_job_failure,
                job_id=job_id,
                worker_id=self.worker_id,
                error=f"{type(error).__name__}: {error}",
                now=self.clock.now(),
            )
        except Exception:
            log.exception(
                "worker %s could not record its failure on job %s", self.worker_id, job_id
            )

    async def process_job(self, job_id: str) -> None:
        """Carry a job this worker has claimed through to its attempt's end."""
        job = await self._read_urgent(claimed_job, job_id=job_id)
        if job is not None:
            await self._process_logged(job)

    async def _process_logged(self, job: ClaimedJob) -> None:
        # Every line logged about this job, here and in the database work it hands to threads,
        # carries the request id of the webhook that opened its alert.
        with bound(request_id=job.request_id, job_id=job.id):
            await self._process(job)

    async def _process(self, job: ClaimedJob) -> None:
        job_id = job.id
        if job.channel != texting.VOICE:
            # Texts and mails never take the voice path: no throttle, bundle, cap or retry.
            await self.tell(job_id, job.org_id)
            return
        if job.templated:
            await asyncio.to_thread(planning.render_ahead, self.database, job_id=job_id)
        plan, chain = await self._write_urgent(
            self._plan_and_choose, job_id=job_id, number=job.to_number
        )
        if plan.kind == PlanKind.SKIP or plan.attempt is None:
            return
        if plan.kind == PlanKind.RECONCILE:
            await self.reconcile(plan.attempt)
        elif chain is not None:
            await self.dial(plan.attempt, chain)

    def _plan_and_choose(
        self, session: Session, *, job_id: str, number: str
    ) -> tuple[planning.Plan, ProviderChain | None]:
        """The job's plan and, for a dial, the providers to ask, read in the transaction that
        writes the attempt: one transaction fewer on the way to every dial."""
        plan = planning.plan_job(
            session, job_id=job_id, now=self.clock.now(), dialer=self.dialer, number=number
        )
        if plan.kind != PlanKind.DIAL or plan.attempt is None:
            return plan, None
        attempt = plan.attempt
        chain = self.providers.choices_for(
            session, org_id=attempt.org_id, endpoint_caller_id=attempt.endpoint_caller_id
        )
        return plan, chain

    async def dial(self, attempt: AttemptSnapshot, chain: ProviderChain) -> None:
        request = CallRequest(
            idempotency_key=attempt.idempotency_key,
            to_number=attempt.to_number,
            caller_id=attempt.caller_id,
            spoken_text=attempt.spoken_text,
            # The organization's voice when it speaks the call's language, else the
            # language's own (`prompts.voice_for`).
            voice=voice_for(attempt.language, attempt.voice or self.settings.voice),
            language=attempt.language,
            ring_timeout_seconds=self.settings.ring_timeout_seconds,
            redirect_allowed=attempt.may_be_redirected_to,
        )
        await self.close_retired()
        if not await self._providers_named(attempt, chain):
            return
        refused: ProviderError | None = None
        deadline = attempt.sending_deadline
        named = (attempt.placed_by, attempt.caller_id)
        for choice in chain.choices:
            remaining = (deadline - self.clock.now()).total_seconds()
            if remaining <= 0:
                # We never asked this provider, so trying later cannot double the call.
                await self._not_placed(attempt, "deadline", "sending deadline passed")
                return
            if (choice.identity, choice.caller_id) != named:
                # Name the provider (and the number it presents) before asking it, so a
                # callback that beats `mark_accepted` is checked against its credentials.
                await self._write_urgent(
                    attempts.mark_provider,
                    attempt_id=attempt.attempt_id,
                    provider=choice.provider.name,
                    provider_account_id=choice.account_id,
                    platform_provider=choice.platform_name,
                    caller_id=choice.caller_id,
                )
                named = (choice.identity, choice.caller_id)
            if attempt.webhook_received_at is not None and refused is None:
                # The first provider asked, of a call the webhook queued: what the sender waited.
                waited = self.clock.now() - attempt.webhook_received_at
                metrics.WEBHOOK_TO_DIAL.observe(max(0.0, waited.total_seconds()))
            try:
                handle = await asyncio.wait_for(
                    choice.provider.dial(replace(request, caller_id=choice.caller_id)),
                    timeout=remaining,
                )
            except ProviderError as error:
                metrics.PROVIDER_ERRORS.labels(provider=choice.provider.name, code=error.code).inc()
                if not error.retry_safe:
                    await self._write(
                        attempts.mark_unknown,
                        attempt_id=attempt.attempt_id,
                        now=self.clock.now(),
                        message=error.user_message,
                        policy=self.settings.retry,
                    )
                    return
                # Certainly not placed: the next provider may take it under the same key, with
                # a sending deadline of its own (a dead trunk may have used up the first).
                refused = error
                deadline = self.clock.now() + self.settings.send_deadline
                await self._write(
                    attempts.record_failover,
                    attempt_id=attempt.attempt_id,
                    failed_provider=choice.provider.name,
                    reason=error.user_message,
                    code=error.code,
                    now=self.clock.now(),
                    deadline=deadline,
                )
                continue
            except TimeoutError:
                metrics.PROVIDER_ERRORS.labels(provider=choice.provider.name, code="timeout").inc()
                # The provider may or may not have accepted it: leave the attempt in `sending`
                # for reconciliation after its deadline, by lookup rather than by dialling again.
                await self._write(
                    attempts.defer_job,
                    job_id=attempt.job_id,
                    worker_id=self.worker_id,
                    now=self.clock.now(),
                    until=deadline,
                )
                return
            self._live[attempt.attempt_id] = handle
            log.info(
                "call placed",
                extra={
                    "attempt_id": attempt.attempt_id,
                    "provider": choice.provider.name,
                    "to": mask_number(attempt.to_number),
                },
            )
            try:
                await self._write(
                    attempts.mark_accepted,
                    attempt_id=attempt.attempt_id,
                    provider_call_id=handle.provider_call_id,
                    now=self.clock.now(),
                    provider=choice.provider.name,
                    provider_account_id=choice.account_id,
                    platform_provider=choice.platform_name,
                    simulated=choice.simulated,
                )
                await self._follow(attempt, handle)
            finally:
                del self._live[attempt.attempt_id]
                self._hanging_up.discard(attempt.attempt_id)
            return
        if refused is not None:
            await self._not_placed(
                attempt, refused.code, refused.user_message, retry_after=refused.retry_after
            )

    # Texts and mails ---------------------------------------------------------------------------

    async def tell(self, job_id: str, org_id: str) -> None:
        """A member's text or mail: the attempt row is committed before any provider hears of
        it (engine/texting.py), then the text is sent once, through the first provider of the
        organization's chain that sends texts."""
        chain = await self._read(self.providers.choices_for, org_id=org_id)
        senders = [choice for choice in chain.choices if text_sender(choice.provider) is not None]
        text = await self._write(
            texting.plan_text,
            job_id=job_id,
            now=self.clock.now(),
            dialer=self.dialer,
            can_text=bool(senders),
            public_base_url=self.settings.public_base_url,
        )
        if text is not None:
            await self._send_text(text, senders)

    async def _send_text(self, text: texting.TextToSend, senders: list[ProviderChoice]) -> None:
        outcome = await self._send_once(
            idempotency_key=text.idempotency_key,
            to_number=text.to_number,
            body=text.body,
            deadline=text.sending_deadline,
            senders=senders,
        )
        now = self.clock.now()
        match outcome:
            case TextSent(message_id=message_id, choice=choice):
                await self._write(
                    texts.mark_sent,
                    attempt_id=text.attempt_id,
                    message_id=message_id,
                    provider=choice.provider.name,
                    provider_account_id=choice.account_id,
                    platform_provider=choice.platform_name,
                    sender=choice.caller_id,
                    simulated=choice.simulated,
                    worker_id=self.worker_id,
                    now=now,
                )
            case TextUnknown(reason=reason):
                await self._write(
                    texts.mark_unknown,
                    attempt_id=text.attempt_id,
                    reason=reason,
                    worker_id=self.worker_id,
                    now=now,
                )
            case TextRefused(code=code, reason=reason):
                await self._write(
                    texts.mark_failed,
                    attempt_id=text.attempt_id,
                    code=code,
                    reason=reason,
                    worker_id=self.worker_id,
                    now=now,
                )

    async def _send_once(
        self,
        *,
        idempotency_key: str,
        to_number: str,
        body: str,
        deadline: datetime,
        senders: list[ProviderChoice],
    ) -> TextOutcome:
        """Send a text whose row is committed, once: through the first provider that takes it;
        a provider that certainly did not send it passes it to the next under the same key;
        one that may have sent it (no answer in time, an unsafe error) ends it as unknown."""
        refusals: list[str] = []
        code = "not_sent"
        for choice in senders:
            sender = text_sender(choice.provider)
            remaining = (deadline - self.clock.now()).total_seconds()
            if sender is None or remaining <= 0:
                continue
            message = TextMessage(
                idempotency_key=idempotency_key,
                to_number=to_number,
                sender=choice.caller_id,
                body=body,
            )
            try:
                message_id = await asyncio.wait_for(sender.send_text(message), timeout=remaining)
            except ProviderError as error:
                if not error.retry_safe:
                    return TextUnknown(f"{choice.provider.name}: {error.user_message}")
                refusals.append(f"{choice.provider.name}: {error.user_message}")
                code = error.code
                continue
            except TimeoutError:
                return TextUnknown(f"{choice.provider.name} did not answer in time")
            return TextSent(message_id, choice)
        return TextRefused(
            code, "; ".join(refusals) or "the sending deadline passed before any provider"
        )

    async def send_member_texts(self, limit: int = 20) -> int:
        """One round of texts to members that are not about an alert (handoff notices): those
        left mid-send settled as unknown, then each queued one through the gate and sent once;
        returns how many were sent."""
        await self._write(
            member_texting.settle_unfinished, now=self.clock.now(), dialer=self.dialer
        )
        sent = 0
        for text_id, org_id in await self._read(member_texts.queued, limit=limit):
            chain = await self._read(self.providers.choices_for, org_id=org_id)
            senders = [c for c in chain.choices if text_sender(c.provider) is not None]
            text = await self._write(
                member_texting.plan_member_text,
                text_id=text_id,
                now=self.clock.now(),
                dialer=self.dialer,
                can_text=bool(senders),
            )
            if text is None:
                continue
            outcome = await self._send_once(
                idempotency_key=text.idempotency_key,
                to_number=text.to_number,
                body=text.body,
                deadline=text.sending_deadline,
                senders=senders,
            )
            actor = Actor("worker", self.worker_id)
            now = self.clock.now()
            match outcome:
                case TextSent(message_id=message_id, choice=choice):
                    sent += 1
                    await self._write(
                        member_texts.mark_sent,
                        text_id=text.text_id,
                        message_id=message_id,
                        provider=choice.provider.name,
                        simulated=choice.simulated,
                        actor=actor,
                        now=now,
                    )
                case TextUnknown(reason=reason) | TextRefused(reason=reason):
                    await self._write(
                        member_texts.mark_not_sent,
                        text_id=text.text_id,
                        status=(
                            MemberTextStatus.UNKNOWN
                            if isinstance(outcome, TextUnknown)
                            else MemberTextStatus.FAILED
                        ),
                        code=outcome.code if isinstance(outcome, TextRefused) else "unknown",
                        reason=reason,
                        actor=actor,
                        now=now,
                    )
        return sent

    async def _providers_named(self, attempt: AttemptSnapshot, chain: ProviderChain) -> bool:
        """Record what the chain says before dialling: accounts passed over for want of a
        caller ID, a fallback to the platform's providers, nobody to call at all. False when
        the attempt has ended here."""
        now = self.clock.now()
        reasons = [passed.reason for passed in chain.passed_over]
        if chain.caller_id_missing:
            await self._write(
                planning.block_for_caller_id,
                attempt_id=attempt.attempt_id,
                reasons=reasons,
                now=now,
                dialer=self.dialer,
            )
            return False
        if reasons:
            await self._write(
                attempts.note_passed_over, attempt_id=attempt.attempt_id, reasons=reasons, now=now
            )
        if chain.fallback is not None:
            await self._write(
                attempts.note_fallback,
                attempt_id=attempt.attempt_id,
                reason=chain.fallback,
                now=now,
            )
        if not chain:
            await self._write(
                attempts.mark_no_provider,
                attempt_id=attempt.attempt_id,
                now=now,
                reason=chain.fallback,
                policy=self.settings.retry,
            )
            return False
        return True

    async def _follow(self, attempt: AttemptSnapshot, handle: CallHandle) -> None:
        """Record the call's events as they come; a call whose events come by callback is let
        go until it must be over."""
        finished = False
        async for batch in ready_batches(handle.events()):
            finished = finished or any(event.kind.is_final for event in batch)
            events = [event for event in batch if event.kind not in _NOTHING_TO_RECORD]
            if not events:
                continue
            await self._write(
                attempts.apply_events,
                attempt_id=attempt.attempt_id,
                events=events,
                now=self.clock.now(),
                policy=self.settings.retry,
            )
        if not finished:
            # The rest arrives by callback (REST providers): let the job go rather than hold
            # its lease, and look at it again when the call must be over.
            await self._defer(attempt, until=self.clock.now() + self.settings.call_window)

    async def reconcile(self, attempt: AttemptSnapshot) -> None:
        """Settle an attempt another worker left unfinished, without dialling it again."""
        now = self.clock.now()
        chain = await self._read(self.providers.choices_for, org_id=attempt.org_id)
        choices = chain.every
        if attempt.status == AttemptStatus.IN_PROGRESS:
            # Accepted: only the provider that took it can say how it went.
            choices = [c for c in choices if c.identity == attempt.placed_by]
        askable = [c for c in choices if c.provider.capabilities.lookup_by_idempotency_key]
        record = None
        for choice in askable:
            record = await choice.provider.lookup(attempt.idempotency_key)
            if record is not None:
                break
        if record is not None:
            await self._write(
                attempts.apply_record,
                attempt_id=attempt.attempt_id,
                record=record,
                now=self.clock.now(),
                policy=self.settings.retry,
            )
            if not record.is_finished:
                await self._write(
                    attempts.defer_job,
                    job_id=attempt.job_id,
                    worker_id=self.worker_id,
                    now=now,
                    until=now + self.settings.recheck_after,
                )
            return
        if (
            attempt.accepted_at is not None
            and now < attempt.accepted_at + self.settings.call_window
        ):
            # Accepted by a provider that reports by callback: the call may still be going on.
            await self._defer(attempt, until=attempt.accepted_at + self.settings.call_window)
            return
        if now < attempt.sending_deadline:
            # Its worker may still be about to dial; look again once it no longer can.
            await self._write(
                attempts.defer_job,
                job_id=attempt.job_id,
                worker_id=self.worker_id,
                now=now,
                until=attempt.sending_deadline,
            )
            return
        if choices and len(askable) == len(choices):
            await self._not_placed(attempt, "not_placed", "the provider never received the call")
        else:
            await self._write(
                attempts.mark_unknown,
                attempt_id=attempt.attempt_id,
                now=now,
                message="the worker stopped mid-call and the provider cannot be asked",
                policy=self.settings.retry,
            )

    async def _defer(self, attempt: AttemptSnapshot, *, until: datetime) -> None:
        await self._write(
            attempts.defer_job,
            job_id=attempt.job_id,
            worker_id=self.worker_id,
            now=self.clock.now(),
            until=until,
        )

    async def _not_placed(
        self,
        attempt: AttemptSnapshot,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        await self._write(
            attempts.mark_not_placed,
            attempt_id=attempt.attempt_id,
            now=self.clock.now(),
            code=code,
            message=message,
            policy=self.settings.retry,
            wait=timedelta(seconds=retry_after) if retry_after else None,
        )

    async def close_retired(self) -> None:
        """Close providers replaced since the last look (an edited account's SIP trunk holds a
        socket and a registration); on this loop, which owns what they opened."""
        for provider in self.providers.retired():
            await close_provider(provider)

    async def _write(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(session, *args, **kwargs)` in one write transaction, off the event loop."""
        return await self.database.off_loop(self._in_write, work, *args, **kwargs)

    async def _write_urgent(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`_write` for a step a dial waits on: it goes ahead of queued steps that are not."""
        return await self.database.off_loop_urgent(self._in_write, work, *args, **kwargs)

    async def _read(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(session, *args, **kwargs)` in one read transaction, off the event loop."""
        return await self.database.off_loop(self._in_read, work, *args, **kwargs)

    async def _read_urgent(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`_read` for a step a dial waits on."""
        return await self.database.off_loop_urgent(self._in_read, work, *args, **kwargs)

    def _in_write(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self.database.write() as session:
            return work(session, *args, **kwargs)

    def _in_read(
        self, work: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self.database.read() as session:
            return work(session, *args, **kwargs)
