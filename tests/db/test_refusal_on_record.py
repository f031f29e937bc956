"""A refusal that carries its own evidence (`TocsinError.on_record`) commits what the
transaction wrote before the error goes on; every other error rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput
from tocsin.runtime import Runtime

ACTOR = Actor("user", "usr_1")


def events(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def write_then_raise(runtime: Runtime, error: Exception) -> None:
    with runtime.database.write() as session:
        audit.record(
            session, actor=ACTOR, action=AuditAction.NUMBER_REFUSED, at=runtime.clock.now()
        )
        raise error


def test_a_refusal_on_record_keeps_what_was_written(runtime: Runtime) -> None:
    before = events(runtime)
    refusal = InvalidInput("no", code="number_blocked").on_record()
    with pytest.raises(InvalidInput) as raised:
        write_then_raise(runtime, refusal)
    assert raised.value is refusal
    assert events(runtime) == before + 1


@pytest.mark.parametrize("error", [InvalidInput("no"), RuntimeError("bug")])
def test_any_other_error_rolls_back(runtime: Runtime, error: Exception) -> None:
    before = events(runtime)
    with pytest.raises(type(error)):
        write_then_raise(runtime, error)
    assert events(runtime) == before
