"""The mail module runs inside every worker, and the operator can vouch for an address."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from tests import seeded
from tests.mail.mailbox import Mailbox
from tocsin.accounts.service import get_user
from tocsin.audit.log import SYSTEM
from tocsin.audit.notices import tell_owners
from tocsin.cli import app
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


def test_a_running_worker_mails_a_new_notice(runtime: Runtime, mailbox: Mailbox) -> None:
    ana = seeded.person(runtime, email="ana@example.com", org_name="Acme")
    with runtime.database.write() as session:
        tell_owners(
            session,
            org_id=ana.org_id,
            kind="policy_change",
            period="aup:2",
            message="The acceptable-use policy changes in 30 days.",
            now=runtime.clock.now(),
            actor=SYSTEM,
        )

    async def run_until_mailed() -> None:
        stop = asyncio.Event()
        worker = runtime.build_worker()
        running = asyncio.create_task(worker.run(stop))
        try:
            assert await asyncio.to_thread(mailbox.arrived.wait, 30)
        finally:
            stop.set()
            await running

    asyncio.run(run_until_mailed())
    [mail] = mailbox.to("ana@example.com")
    assert "The acceptable-use policy changes in 30 days." in mail.text


def test_the_operator_verifies_an_address_from_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    ana = seeded.person(runtime, email="ana@example.com", email_verified=False)
    result = cli.invoke(app, ["user", "verify-email", "Ana@Example.com", "--json"])
    assert result.exit_code == 0, result.output
    assert '"verified": true' in result.output
    with runtime.database.read() as session:
        assert get_user(session, ana.user_id).email_verified_at is not None
