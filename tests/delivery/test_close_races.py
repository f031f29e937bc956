"""Closing an alert from several places at once: the changes take turns, so a resolve is never
lost, one acknowledgement wins, and each change is audited once.

The closers really run at once on PostgreSQL (threads released together by a barrier, each on a
connection of its own; this is where a resolve was lost). On SQLite the same tests show that
writers taking turns is enough.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.delivery.pager import Pager
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict
from tocsin.paging import lifecycle
from tocsin.paging.models import Alert, AlertStatus, CallJob, JobStatus

pytestmark = [pytest.mark.usefixtures("fast_password_hashing"), pytest.mark.pager(rounds=1)]

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
    answers = _all_at_once(
        [_closer(pager, close, alert_id, f"person-{n}") for n in range(CLOSERS)]
    )
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
