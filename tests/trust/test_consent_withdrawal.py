"""Consent goes with the contact that carried the number: deleting the contact (or moving it to
another number) withdraws the organization's consent records for the number, which stay as
evidence, so adding the number again needs its owner to verify it again."""

from __future__ import annotations

from typing import Any

import pytest

from tests import seeded
from tests.delivery.pager import Pager, uk_mobile
from tests.factories import code_sent, ok
from tocsin.accounts.models import Role


def consents(pager: Pager, number: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(
        pager.client.get(f"{pager.org}/consents", params={"number": number}, headers=pager.auth)
    )["items"]
    return items


def add_contact(pager: Pager, name: str, number: str) -> dict[str, Any]:
    added: dict[str, Any] = ok(
        pager.client.post(
            f"{pager.org}/contacts", json={"name": name, "phone": number}, headers=pager.auth
        ),
        201,
    )
    return added


def test_deleting_a_contact_withdraws_consent_and_readding_needs_a_new_verification(
    pager: Pager,
) -> None:
    """issue 16, finding 11: consent was not withdrawn when a contact was deleted."""
    number = uk_mobile()
    ana = pager.contact("Ana", phone=number)
    [given] = consents(pager, number)
    assert given["withdrawn_at"] is None

    deleted = pager.client.delete(f"{pager.org}/contacts/{ana}", headers=pager.auth)
    assert deleted.status_code == 204

    [kept] = consents(pager, number)  # still there, as evidence
    assert kept["id"] == given["id"]
    assert kept["withdrawn_at"] is not None
    assert kept["withdrawn_reason"] == "contact_deleted"
    again = add_contact(pager, "Ana again", number)
    assert again["number_state"] == "unverified"
    trail = ok(
        pager.client.get(f"{pager.org}/audit", params={"action": "consent."}, headers=pager.auth)
    )["items"]
    withdrawn = [event for event in trail if event["action"] == "consent.withdrawn"]
    assert [event["details"]["number"] for event in withdrawn] == [number]


def test_a_number_another_contact_still_carries_keeps_its_consent(pager: Pager) -> None:
    """Consent counts per (organization, number): while another contact still carries the
    number, deleting one withdraws nothing, not even the records given through it."""
    number = uk_mobile()
    ana = pager.contact("Ana", phone=number)
    pager.clock.advance(61)  # codes to one number are a minute apart
    rota = pager.contact("Rota phone", phone=number)
    pager.client.delete(f"{pager.org}/contacts/{ana}", headers=pager.auth)

    assert [record["withdrawn_at"] for record in consents(pager, number)] == [None, None]
    shown = ok(pager.client.get(f"{pager.org}/contacts/{rota}", headers=pager.auth))
    assert shown["number_state"] == "verified"


@pytest.mark.pager(rounds=1)
def test_deleting_one_of_two_contacts_on_a_number_leaves_the_other_callable(
    pager: Pager,
) -> None:
    """Issue 16, review finding 2: the remaining contact, which never had a consent record of
    its own, became unverified and its next alert was skipped as `number_unverified`."""
    number = uk_mobile()
    ana = pager.contact("Ana", phone=number)
    rota = add_contact(pager, "Rota phone", number)
    assert rota["number_state"] == "verified"
    ok(pager.client.delete(f"{pager.org}/contacts/{ana}", headers=pager.auth), 204)

    shown = ok(pager.client.get(f"{pager.org}/contacts/{rota['id']}", headers=pager.auth))
    assert shown["number_state"] == "verified"
    pager.fire(pager.endpoint(rota["id"]))
    pager.run()
    assert pager.numbers_called() == [number]


def test_moving_a_contact_to_another_number_withdraws_the_old_numbers_consent(
    pager: Pager,
) -> None:
    old, new = uk_mobile(), uk_mobile()
    ana = pager.contact("Ana", phone=old)
    moved = ok(
        pager.client.patch(f"{pager.org}/contacts/{ana}", json={"phone": new}, headers=pager.auth)
    )
    assert moved["number_state"] == "unverified"
    [record] = consents(pager, old)
    assert record["withdrawn_reason"] == "number_changed"
    assert add_contact(pager, "Old phone", old)["number_state"] == "unverified"


def _verified_by(pager: Pager, person: seeded.Person, number: str) -> str:
    """A contact whose number `person` verified: the code reached their phone and they typed
    it, so the consent record names them."""
    contact_id = pager.contact("Mine", phone=number, verified=False)
    sent = ok(
        pager.client.post(
            f"{pager.org}/contacts/{contact_id}/verification",
            json={"channel": "call"},
            headers=person.auth,
        ),
        202,
    )
    ok(
        pager.client.post(
            f"{pager.org}/contacts/{contact_id}/verification/confirm",
            json={"code": code_sent(pager.client, sent["verification_id"])},
            headers=person.auth,
        )
    )
    return contact_id


def test_a_member_leaving_withdraws_the_consent_they_gave_and_the_owners_are_told(
    pager: Pager,
) -> None:
    """issue 16, finding 11 and "Appeals and consent": a member leaving withdraws their consent
    records (kept as evidence). Their consent stops the calls to their number, loudly: the
    owners get a notice naming the numbers, so no page stops without anyone knowing."""
    admin = seeded.member(pager.runtime, pager.org_id, role=Role.ADMIN)
    theirs, others = uk_mobile(), uk_mobile()
    _verified_by(pager, admin, theirs)
    pager.contact("Desk", phone=others)  # verified by the owner

    left = pager.client.delete(f"{pager.org}/members/{admin.user_id}", headers=admin.auth)
    assert left.status_code == 204, left.text

    [kept] = consents(pager, theirs)
    assert (kept["withdrawn_reason"], kept["withdrawn_at"] is not None) == ("member_left", True)
    [untouched] = consents(pager, others)
    assert untouched["withdrawn_at"] is None
    notices = ok(pager.client.get(f"{pager.org}/notices", headers=pager.auth))["items"]
    [told] = [notice for notice in notices if notice["kind"] == "consent_withdrawn"]
    assert theirs in told["message"]
