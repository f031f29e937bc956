"""A row locked in a write transaction is read as it is now, even when the transaction had read
it before taking the lock (db/engine.py): what is decided under the lock is decided on what
other transactions committed meanwhile, not on the earlier read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import seeded
from tocsin.accounts.models import Organization
from tocsin.runtime import Runtime


@pytest.mark.parametrize("lock", ["get", "select"])
def test_a_lock_on_a_row_read_before_sees_what_was_committed_since(
    runtime: Runtime, lock: str
) -> None:
    database = runtime.database
    if not database.is_postgres:
        pytest.skip("SQLite's writers take turns: nothing commits inside a write transaction")
    org_id = seeded.person(runtime, org_name="Before").org_id
    with database.write() as session:
        unlocked = session.get(Organization, org_id)
        assert unlocked is not None
        assert unlocked.name == "Before"
        with database.write() as other:
            renamed = other.get(Organization, org_id)
            assert renamed is not None
            renamed.name = "After"
        if lock == "get":
            locked = session.get(Organization, org_id, with_for_update=True)
        else:
            locked = session.scalars(
                select(Organization).where(Organization.id == org_id).with_for_update()
            ).one()
        assert locked is unlocked
        assert locked.name == "After"


def test_what_the_transaction_changed_itself_is_kept_by_its_lock(runtime: Runtime) -> None:
    org_id = seeded.person(runtime, org_name="Before").org_id
    with runtime.database.write() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        org.name = "Changed here"
        locked = session.get(Organization, org_id, with_for_update=True)
        assert locked is not None
        assert locked.name == "Changed here"
    with runtime.database.read() as session:
        assert session.scalar(select(Organization.name).where(Organization.id == org_id)) == (
            "Changed here"
        )
