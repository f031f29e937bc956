"""Every notice the dashboard shows is also mailed to the organization's owners (issue 16,
finding 11: "Owners learn of quota exhaustion, enforcement, payment failures and 30-day policy
notices in the dashboard only"). Commands only write rows; the worker's mail module sends them
to a real SMTP server here, retries what fails and says so on the notice."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows, seeded
from tests.billing.conftest import NEW_SECRET
from tests.billing.helpers import tiny_billing
from tests.billing.paddle import PaddleSender, paddle_id, transaction
from tests.delivery.pager import MakePager
from tests.factories import ok
from tests.mail.conftest import FROM
from tests.mail.mailbox import USER, Mailbox, send_mail
from tocsin.accounts.models import Membership, Role, User
from tocsin.audit.log import SYSTEM
from tocsin.audit.notices import tell_owners
from tocsin.core.clock import ManualClock
from tocsin.organizations.commands import change_member_role
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust.enforcement import take_action

pytestmark = [
    # The test server takes a password without TLS, which a real one must not.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


def notices(client: TestClient, runtime: Runtime, org_id: str) -> list[dict[str, Any]]:
    key = seeded.api_key(runtime, org_id, name="reader", scopes=("read",))
    page = ok(client.get(f"/v1/orgs/{org_id}/notices", headers={"X-API-Key": key}))
    items: list[dict[str, Any]] = page["items"]
    return items


def tell(runtime: Runtime, org_id: str, *, kind: str = "policy_change", message: str) -> None:
    with runtime.database.write() as session:
        tell_owners(
            session,
            org_id=org_id,
            kind=kind,
            period="p1",
            message=message,
            now=runtime.clock.now(),
            actor=SYSTEM,
        )


# The notices of the finding reach a mailbox --------------------------------------------------


def test_a_quota_exhausted_notice_reaches_the_owners_mailbox(
    client: TestClient,
    runtime: Runtime,
    clock: ManualClock,
    make_pager: MakePager,
    mailbox: Mailbox,
) -> None:
    """issue 16, finding 11: quota exhaustion was told in the dashboard only."""
    runtime.billing = tiny_billing(daily=1)
    pager = make_pager(throttle=())
    endpoint = pager.endpoint(pager.contact("Ana"))
    for n in range(2):
        pager.fire(endpoint, {"title": f"Disk full on db{n}"})
        pager.run()
    [owner] = _owners(runtime, pager.org_id)
    assert mailbox.received == []  # the command wrote rows only

    round_ = send_mail(runtime)

    kinds = {mail.message["X-Tocsin-Notice"] for mail in mailbox.to(owner)}
    assert {"quota_low", "quota_exhausted"} <= kinds
    [exhausted] = [
        m for m in mailbox.to(owner) if m.message["X-Tocsin-Notice"] == "quota_exhausted"
    ]
    assert exhausted.recipients == [owner]
    assert exhausted.sender == "alerts@tocsin.test"
    assert exhausted.message["From"] == FROM
    assert "Calls are not being placed" in exhausted.subject
    assert "daily cap of 1 call" in exhausted.text
    assert f"http://tocsin.test/o/{pager.org_id}/notices" in exhausted.text
    assert f'href="http://tocsin.test/o/{pager.org_id}/notices"' in exhausted.html
    assert mailbox.logins
    assert set(mailbox.logins) == {USER}
    assert round_.sent == len(mailbox.received)
    # The notice says it went out, to whom.
    [shown] = [n for n in notices(client, runtime, pager.org_id) if n["kind"] == "quota_exhausted"]
    assert shown["email"] == {"status": "sent", "detail": f"sent to {owner}"}


def test_a_suspension_reaches_every_owner_and_no_member(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    """issue 16, finding 11: enforcement was told in the dashboard only."""
    ana = seeded.person(runtime, email="ana@example.com", org_name="Acme")
    bea = seeded.member(runtime, ana.org_id, role=Role.MEMBER, email="bea@example.com")
    with runtime.database.write() as session:
        change_member_role(
            session,
            org_id=ana.org_id,
            user_id=bea.user_id,
            role=Role.OWNER,
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
    seeded.member(runtime, ana.org_id, role=Role.ADMIN, email="cy@example.com")
    with runtime.database.write() as session:
        take_action(
            session,
            kind=ActionKind.SUSPENSION,
            scope=ActionScope.ORGANIZATION,
            target=ana.org_id,
            reason="robocalling a list of strangers",
            actor=SYSTEM,
            now=runtime.clock.now(),
        )

    send_mail(runtime)

    assert sorted(r for mail in mailbox.received for r in mail.recipients) == [
        "ana@example.com",
        "bea@example.com",
    ]
    for mail in mailbox.received:
        assert mail.message["X-Tocsin-Notice"] == "enforcement_suspension"
        assert "robocalling a list of strangers" in mail.text
        assert "Acme" in mail.subject
        assert mail.message["Auto-Submitted"] == "auto-generated"
        # No tracking: no images, no redirects, nothing but the dashboard's own address.
        assert "<img" not in mail.html
        assert "http://tocsin.test/o/" in mail.html


def test_a_payment_failure_reaches_the_owners_mailbox(
    client: TestClient, runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    """issue 16, finding 11: payment failures were told in the dashboard only."""
    runtime.billing = tiny_billing()
    ana = seeded.person(runtime, email="ana@example.com", org_name="Acme")
    failed = transaction(
        transaction_id=paddle_id("txn"),
        status="past_due",
        org_id=ana.org_id,
        subscription_id=None,
        updated_at=clock.now(),
        payment_status="error",
    )
    paddle = PaddleSender(secrets=[NEW_SECRET], now=clock.now)
    ok(paddle.deliver(client, "transaction.payment_failed", failed))

    send_mail(runtime)

    [mail] = mailbox.to("ana@example.com")
    assert mail.message["X-Tocsin-Notice"] == "payment_failed"
    assert "A payment failed" in mail.text


def test_a_notice_is_mailed_once_however_often_the_mailer_runs(
    runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    tell(runtime, ana.org_id, message="Something to know.")
    send_mail(runtime)
    clock.advance(3600)
    send_mail(runtime)
    assert len(mailbox.received) == 1


# Only verified addresses --------------------------------------------------------------------


def test_an_owner_whose_address_is_not_verified_gets_no_mail_and_the_notice_says_so(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com", email_verified=False)
    send_mail(runtime)  # the sign-up's own verification mail
    mailbox.received.clear()
    tell(runtime, ana.org_id, message="Something to know.")
    send_mail(runtime)
    assert mailbox.received == []
    [shown] = notices(client, runtime, ana.org_id)
    assert shown["email"]["status"] == "no_recipient"
    assert "no owner has a verified e-mail address" in shown["email"]["detail"]


# Failures are retried and shown ---------------------------------------------------------------


def test_a_refused_mail_is_retried_with_backoff_and_the_notice_shows_the_failure(
    client: TestClient,
    runtime: Runtime,
    clock: ManualClock,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    tell(runtime, ana.org_id, message="Your plan ends soon.")
    mailbox.refuse = "451 4.3.0 mailbox busy, try later"
    with caplog.at_level(logging.WARNING, logger="tocsin.engine.mailer"):
        first = send_mail(runtime)
    assert (first.sent, first.retrying) == (0, 1)
    assert "mailbox busy" in caplog.text
    [shown] = notices(client, runtime, ana.org_id)
    assert shown["email"]["status"] == "retrying"
    assert "mailbox busy" in shown["email"]["detail"]

    mailbox.refuse = None
    clock.advance(30)
    assert send_mail(runtime).sent == 0  # not yet: the first retry waits a minute
    clock.advance(31)
    assert send_mail(runtime).sent == 1
    [mail] = mailbox.to("ana@example.com")
    assert "Your plan ends soon." in mail.text
    [shown] = notices(client, runtime, ana.org_id)
    assert shown["email"] == {"status": "sent", "detail": "sent to ana@example.com"}


def test_a_server_that_is_down_is_tried_again_until_it_is_back(
    runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    tell(runtime, ana.org_id, message="Your plan ends soon.")
    mailbox.stop()
    assert send_mail(runtime).retrying == 1
    clock.advance(61)
    assert send_mail(runtime).retrying == 1
    mailbox.start()
    clock.advance(5 * 60 + 1)
    assert send_mail(runtime).sent == 1
    assert len(mailbox.to("ana@example.com")) == 1


def test_a_permanent_refusal_fails_at_once_and_the_notice_says_why(
    client: TestClient, runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    tell(runtime, ana.org_id, message="Your plan ends soon.")
    mailbox.refuse = "550 5.1.1 no such mailbox"
    assert send_mail(runtime).failed == 1
    clock.advance(86400)
    mailbox.refuse = None
    assert send_mail(runtime).sent == 0
    [shown] = notices(client, runtime, ana.org_id)
    assert shown["email"]["status"] == "failed"
    assert "no such mailbox" in shown["email"]["detail"]
    page = rows.browser_for(client, runtime, ana.user_id).get(f"/o/{ana.org_id}/notices")
    assert "no such mailbox" in page.text


def test_a_notice_from_before_mail_was_working_is_not_mailed_a_week_later(
    client: TestClient, runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    tell(runtime, ana.org_id, message="Old news.")
    clock.advance(8 * 86400)
    send_mail(runtime)
    assert mailbox.received == []
    [shown] = notices(client, runtime, ana.org_id)
    assert shown["email"]["status"] == "skipped"


def _owners(runtime: Runtime, org_id: str) -> list[str]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(User.email)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.org_id == org_id, Membership.role == Role.OWNER.value)
            )
        )
