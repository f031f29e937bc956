"""A member's own numbers, their self-verification and notification rules; what paging a member
does; what is forgotten when they leave; and plain contacts that never show members' numbers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests import seeded
from tocsin.accounts.models import Role
from tocsin.audit.models import AuditEvent
from tocsin.contacts import queries as contact_queries
from tocsin.contacts.checks import check_contacts
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.core.clock import ManualClock
from tocsin.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TocsinError
from tocsin.core.ids import new_id
from tocsin.numbers.models import ConsentRecord
from tocsin.numbers.verification import Requester
from tocsin.oncall import methods, rules
from tocsin.oncall.models import Method, NotificationRule, ProjectMember
from tocsin.oncall.people import Notify, Rule, get_person, notification_plan
from tocsin.oncall.projects import add_project_member, create_project
from tocsin.organizations.commands import remove_member
from tocsin.policy.numbers import NumberBlocked
from tocsin.runtime import Runtime

_numbers = itertools.count(1)


def _mobile() -> str:
    return f"+447400{700000 + next(_numbers):06d}"


@dataclass
class Org:
    runtime: Runtime
    clock: ManualClock
    org_id: str
    owner: str
    ana: str
    ben: str

    def actor(self, user_id: str) -> Actor:
        return Actor("user", user_id)

    def add(self, user_id: str, method: Method = Method.VOICE, *, by: str | None = None) -> str:
        runtime = self.runtime
        with runtime.database.write() as session:
            contact = methods.add_member_number(
                session,
                org_id=self.org_id,
                user_id=user_id,
                name=f"{method.value} {user_id[-4:]}",
                phone=_mobile(),
                region=None,
                method=method,
                actor=self.actor(by or user_id),
                now=runtime.clock.now(),
                billing=runtime.billing,
                sanctioned_regions=runtime.settings.sanctioned_region_set(),
            )
            return contact.id

    def verify(self, user_id: str, contact_id: str, *, by: str | None = None) -> None:
        runtime = self.runtime
        actor = self.actor(by or user_id)
        self.clock.advance(61)  # one code a minute to a number
        with runtime.database.write() as session:
            pending = methods.send_member_code(
                session,
                runtime,
                org_id=self.org_id,
                user_id=user_id,
                contact_id=contact_id,
                channel=None,
                requester=Requester(actor),
                now=runtime.clock.now(),
            )
            result, record = methods.confirm_member_code(
                session,
                runtime,
                org_id=self.org_id,
                user_id=user_id,
                contact_id=contact_id,
                code=pending.issued.code,
                verification_id=pending.issued.verification.id,
                actor=actor,
                user_agent=None,
                now=runtime.clock.now(),
            )
            assert result.error() is None
            assert record is not None

    def set_rules(self, user_id: str, *wanted: Rule, by: str | None = None) -> list[Rule]:
        with self.runtime.database.write() as session:
            return rules.set_rules(
                session,
                org_id=self.org_id,
                user_id=user_id,
                rules=list(wanted),
                actor=self.actor(by or user_id),
                now=self.runtime.clock.now(),
            )

    def plan(self, user_id: str) -> list[Notify]:
        with self.runtime.database.read() as session:
            return notification_plan(session, self.org_id, user_id)


@pytest.fixture
def org(runtime: Runtime, clock: ManualClock) -> Org:
    owner = seeded.person(runtime, org_name="People")
    ana = seeded.member(runtime, owner.org_id).user_id
    ben = seeded.member(runtime, owner.org_id).user_id
    return Org(runtime, clock, owner.org_id, owner.user_id, ana, ben)


def _code(error: TocsinError) -> str:
    return str(error.code)


# Numbers --------------------------------------------------------------------------------------


def test_a_member_adds_a_number_that_is_theirs_and_unverified(org: Org) -> None:
    mobile = org.add(org.ana, Method.SMS)
    with org.runtime.database.read() as session:
        row = session.get(Contact, mobile)
        assert row is not None
        assert (row.user_id, row.channel) == (org.ana, "sms")
        person = get_person(session, org_id=org.org_id, user_id=org.ana)
    assert [(n.id, n.channel, n.verified) for n in person.numbers] == [(mobile, "sms", False)]


def test_a_members_number_is_screened_as_a_contacts_is(org: Org) -> None:
    with org.runtime.database.write() as session, pytest.raises(NumberBlocked):
        methods.add_member_number(
            session,
            org_id=org.org_id,
            user_id=org.ana,
            name="premium",
            phone="+449098790123",
            region=None,
            method=Method.VOICE,
            actor=org.actor(org.ana),
            now=org.runtime.clock.now(),
            billing=org.runtime.billing,
            sanctioned_regions=org.runtime.settings.sanctioned_region_set(),
        )
    with org.runtime.database.read() as session:
        refused = session.scalar(select(func.count()).where(AuditEvent.action == "number.refused"))
        assert refused == 1


def test_a_plain_member_cannot_add_a_number_for_someone_else_but_an_admin_can(org: Org) -> None:
    with pytest.raises(Forbidden) as refused:
        org.add(org.ana, by=org.ben)
    assert _code(refused.value) == "insufficient_role"
    assert org.add(org.ana, by=org.owner)


def test_removing_a_number_takes_its_rules_with_it(org: Org) -> None:
    mobile, desk = org.add(org.ana), org.add(org.ana)
    org.set_rules(org.ana, Rule(Method.VOICE, mobile, 0), Rule(Method.VOICE, desk, 3))
    with org.runtime.database.write() as session:
        methods.remove_member_number(
            session,
            org_id=org.org_id,
            user_id=org.ana,
            contact_id=mobile,
            actor=org.actor(org.ana),
            now=org.runtime.clock.now(),
        )
    with org.runtime.database.read() as session:
        person = get_person(session, org_id=org.org_id, user_id=org.ana)
    assert [n.id for n in person.numbers] == [desk]
    assert person.rules == [Rule(Method.VOICE, desk, 3)]


# Verification ---------------------------------------------------------------------------------


def test_a_member_verifies_their_own_number_and_it_counts(org: Org) -> None:
    mobile = org.add(org.ana)
    assert org.plan(org.ana) == []
    org.verify(org.ana, mobile)
    with org.runtime.database.read() as session:
        record = session.scalar(select(ConsentRecord).where(ConsentRecord.contact_id == mobile))
        assert record is not None
        assert (record.actor_type, record.actor_id) == ("user", org.ana)
        phone = contact_queries.get_number(session, org_id=org.org_id, contact_id=mobile)
    assert org.plan(org.ana) == [Notify(Method.VOICE, mobile, phone.phone_e164, 0)]


@pytest.mark.parametrize("who", ["owner", "ben"])
def test_nobody_else_may_verify_a_members_number(org: Org, who: str) -> None:
    mobile = org.add(org.ana)
    with pytest.raises(Forbidden) as refused:
        org.verify(org.ana, mobile, by=getattr(org, who))
    assert _code(refused.value) == "member_verifies_own_number"
    # Not the confirmation either, even with a code the member asked for.
    with org.runtime.database.write() as session:
        pending = methods.send_member_code(
            session,
            org.runtime,
            org_id=org.org_id,
            user_id=org.ana,
            contact_id=mobile,
            channel=None,
            requester=Requester(org.actor(org.ana)),
            now=org.runtime.clock.now(),
        )
    with org.runtime.database.write() as session, pytest.raises(Forbidden):
        methods.confirm_member_code(
            session,
            org.runtime,
            org_id=org.org_id,
            user_id=org.ana,
            contact_id=mobile,
            code=pending.issued.code,
            verification_id=None,
            actor=org.actor(getattr(org, who)),
            user_agent=None,
            now=org.runtime.clock.now(),
        )
    assert org.plan(org.ana) == []


def test_another_members_number_is_not_found_through_someone_else(org: Org) -> None:
    bens = org.add(org.ben)
    with pytest.raises(NotFound) as missing:
        org.verify(org.ana, bens)
    assert _code(missing.value) == "contact_not_found"


# Rules ----------------------------------------------------------------------------------------


def test_rules_call_mobile_text_it_then_call_the_desk(org: Org) -> None:
    mobile, sms, desk = org.add(org.ana), org.add(org.ana, Method.SMS), org.add(org.ana)
    for number in (mobile, sms, desk):
        org.verify(org.ana, number)
    org.set_rules(
        org.ana,
        Rule(Method.VOICE, mobile, 0),
        Rule(Method.SMS, sms, 0),
        Rule(Method.VOICE, desk, 3),
        Rule(Method.EMAIL, None, 10),
    )
    assert [(n.method, n.contact_id, n.delay_minutes) for n in org.plan(org.ana)] == [
        (Method.VOICE, mobile, 0),
        (Method.SMS, sms, 0),
        (Method.VOICE, desk, 3),
        (Method.EMAIL, None, 10),
    ]


def test_a_rule_on_a_number_not_yet_verified_is_passed_over(org: Org) -> None:
    mobile, desk = org.add(org.ana), org.add(org.ana)
    org.verify(org.ana, desk)
    org.set_rules(org.ana, Rule(Method.VOICE, mobile, 0), Rule(Method.VOICE, desk, 3))
    assert [(n.contact_id, n.delay_minutes) for n in org.plan(org.ana)] == [(desk, 3)]


def test_without_rules_the_first_verified_voice_number_is_called_at_once(org: Org) -> None:
    sms, first, second = org.add(org.ana, Method.SMS), org.add(org.ana), org.add(org.ana)
    for number in (sms, second, first):
        org.verify(org.ana, number)
    assert [(n.method, n.contact_id, n.delay_minutes) for n in org.plan(org.ana)] == [
        (Method.VOICE, first, 0)
    ]
    org.set_rules(org.ana, Rule(Method.SMS, sms, 0))
    org.set_rules(org.ana)  # an empty list goes back to the default
    assert [n.contact_id for n in org.plan(org.ana)] == [first]


def test_the_plan_tells_each_way_once_even_when_rows_repeat_it(org: Org) -> None:
    mobile = org.add(org.ana)
    org.verify(org.ana, mobile)
    now = org.runtime.clock.now()
    with org.runtime.database.write() as session:  # around the command, which refuses this
        for position, delay in enumerate((0, 5)):
            session.add(
                NotificationRule(
                    id=new_id("nr"),
                    org_id=org.org_id,
                    user_id=org.ana,
                    position=position,
                    method="voice",
                    contact_id=mobile,
                    delay_minutes=delay,
                    created_at=now,
                )
            )
    assert [n.delay_minutes for n in org.plan(org.ana)] == [0]


@pytest.mark.parametrize(
    ("rule", "error", "code"),
    [
        (lambda o, own, sms, bens: Rule(Method.VOICE, "ct_01nowhere000000000000000000", 0),
         NotFound, "contact_not_found"),
        (lambda o, own, sms, bens: Rule(Method.VOICE, bens, 0), NotFound, "contact_not_found"),
        (lambda o, own, sms, bens: Rule(Method.VOICE, None, 0), NotFound, "contact_not_found"),
        (lambda o, own, sms, bens: Rule(Method.SMS, own, 0), Conflict, "rule_channel_mismatch"),
        (lambda o, own, sms, bens: Rule(Method.VOICE, sms, 0), Conflict, "rule_channel_mismatch"),
        (lambda o, own, sms, bens: Rule(Method.VOICE, own, -1), InvalidInput, "invalid_delay"),
        (lambda o, own, sms, bens: Rule(Method.VOICE, own, 1441), InvalidInput, "invalid_delay"),
        (lambda o, own, sms, bens: Rule(Method.EMAIL, own, 0), InvalidInput, "invalid_rule"),
    ],
)  # fmt: skip
def test_a_rule_must_name_one_of_the_members_own_numbers_on_its_channel(
    org: Org, rule: object, error: type[TocsinError], code: str
) -> None:
    own, sms, bens = org.add(org.ana), org.add(org.ana, Method.SMS), org.add(org.ben)
    contact = seeded.contact(org.runtime, org.org_id, phone=_mobile())
    wanted = rule(org, own, sms, bens)  # type: ignore[operator]
    with pytest.raises(error) as refused:
        org.set_rules(org.ana, Rule(Method.VOICE, own, 0), wanted)
    assert _code(refused.value) == code
    # A plain contact is nobody's number either.
    with pytest.raises(NotFound):
        org.set_rules(org.ana, Rule(Method.VOICE, contact, 0))
    with org.runtime.database.read() as session:
        assert get_person(session, org_id=org.org_id, user_id=org.ana).rules == []


def test_at_most_twenty_rules_and_no_repeats(org: Org) -> None:
    own = org.add(org.ana)
    with pytest.raises(InvalidInput) as too_many:
        org.set_rules(org.ana, *[Rule(Method.VOICE, own, minute) for minute in range(21)])
    assert _code(too_many.value) == "too_many_rules"
    with pytest.raises(InvalidInput) as repeated:
        org.set_rules(org.ana, Rule(Method.VOICE, own, 0), Rule(Method.VOICE, own, 5))
    assert _code(repeated.value) == "duplicate_rule"


def test_an_email_rule_needs_a_verified_address(runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Mail")
    unproved = seeded.member(runtime, owner.org_id, email_verified=False).user_id
    with runtime.database.write() as session, pytest.raises(Conflict) as refused:
        rules.set_rules(
            session,
            org_id=owner.org_id,
            user_id=unproved,
            rules=[Rule(Method.EMAIL, None, 0)],
            actor=Actor("user", unproved),
            now=runtime.clock.now(),
        )
    assert _code(refused.value) == "email_unverified"


def test_a_member_edits_their_own_rules_an_admin_anyones_a_member_no_one_elses(
    org: Org,
) -> None:
    own = org.add(org.ana)
    org.set_rules(org.ana, Rule(Method.VOICE, own, 0))
    org.set_rules(org.ana, Rule(Method.VOICE, own, 2), by=org.owner)
    with pytest.raises(Forbidden) as refused:
        org.set_rules(org.ana, by=org.ben)
    assert _code(refused.value) == "insufficient_role"
    with org.runtime.database.read() as session:
        assert get_person(session, org_id=org.org_id, user_id=org.ana).rules == [
            Rule(Method.VOICE, own, 2)
        ]


def test_someone_outside_the_organization_is_not_found(org: Org, runtime: Runtime) -> None:
    stranger = seeded.person(runtime, org_name="Elsewhere").user_id
    with pytest.raises(NotFound) as missing:
        org.set_rules(stranger, by=org.owner)
    assert _code(missing.value) == "member_not_found"


# Leaving --------------------------------------------------------------------------------------


def test_a_member_who_leaves_is_forgotten_numbers_rules_and_projects(org: Org) -> None:
    mobile = org.add(org.ana)
    org.verify(org.ana, mobile)
    org.set_rules(org.ana, Rule(Method.VOICE, mobile, 0))
    now = org.runtime.clock.now()
    with org.runtime.database.write() as session:
        for name in ("Platform", "Payments"):
            project = create_project(
                session, org_id=org.org_id, name=name, actor=org.actor(org.owner), now=now
            )
            add_project_member(
                session,
                org_id=org.org_id,
                project_id=project.id,
                user_id=org.ana,
                can_edit=False,
                actor=org.actor(org.owner),
                now=now,
            )
    with org.runtime.database.write() as session:
        remove_member(
            session,
            org_id=org.org_id,
            user_id=org.ana,
            removed_by=org.owner,
            remover_role=Role.OWNER,
            actor=org.actor(org.owner),
            now=now,
        )
    with org.runtime.database.read() as session:
        assert session.scalars(select(Contact).where(Contact.user_id == org.ana)).all() == []
        assert (
            session.scalars(
                select(NotificationRule).where(NotificationRule.user_id == org.ana)
            ).all()
            == []
        )
        assert (
            session.scalars(select(ProjectMember).where(ProjectMember.user_id == org.ana)).all()
            == []
        )
        consent = session.scalar(select(ConsentRecord).where(ConsentRecord.actor_id == org.ana))
        assert consent is not None
        assert consent.withdrawn_at is not None
        forgotten = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "person.forgotten")
        )
        assert forgotten is not None
        assert forgotten.target_id == org.ana
        assert len(forgotten.details["projects"]) == 2
        assert forgotten.details["rules"] == 1


# Plain contacts -------------------------------------------------------------------------------


def test_members_numbers_are_not_contacts(org: Org) -> None:
    desk = seeded.contact(org.runtime, org.org_id, phone=_mobile(), name="NOC desk")
    mobile = org.add(org.ana)
    org.verify(org.ana, mobile)
    with org.runtime.database.read() as session:
        listed = contact_queries.list_contacts(session, org_id=org.org_id, limit=50, cursor=None)
        assert [c.id for c in listed.items] == [desk]
        assert [c.id for c in contact_queries.all_contacts(session, org_id=org.org_id)] == [desk]
        with pytest.raises(NotFound) as missing:
            contact_queries.get_contact(session, org_id=org.org_id, contact_id=mobile)
        assert _code(missing.value) == "contact_not_found"
        with pytest.raises(NotFound) as as_target:
            check_contacts(session, org_id=org.org_id, contact_ids=[desk, mobile])
        assert _code(as_target.value) == "contact_not_found"
        check_contacts(session, org_id=org.org_id, contact_ids=[desk])
