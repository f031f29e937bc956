"""The call language in the dashboard: the organization's on its settings page (admins change
it), a contact's on the contact form and page, a member's in My profile."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.web.browser_forms import owner_home, submit
from tocsin.accounts.models import Membership, Organization
from tocsin.contacts.models import Contact
from tocsin.runtime import Runtime


def _org_language(runtime: Runtime, org_id: str) -> str:
    with runtime.database.read() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        return org.language


def _selected(html: str, select_id: str) -> str:
    select = re.search(rf'<select id="{select_id}" name="language">(.*?)</select>', html, re.S)
    assert select, html
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    assert chosen, select.group(1)
    return chosen.group(1)


def test_an_admin_sets_the_organizations_language_on_the_settings_page(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "lang-owner@example.com")
    org_id = home.rsplit("/", 1)[-1]
    page = client.get(f"{home}/settings")
    assert page.status_code == 200
    assert "Language of call prompts" in page.text
    assert "Ukrainian (Українська)" in page.text
    assert _selected(page.text, "org-language") == "en"

    saved = submit(client, f"{home}/settings", f"{home}/settings/language", {"language": "es"})
    assert (saved.status_code, saved.headers["location"]) == (303, f"{home}/settings?saved=1")
    assert _org_language(runtime, org_id) == "es"
    assert _selected(client.get(f"{home}/settings").text, "org-language") == "es"

    refused = submit(client, f"{home}/settings", f"{home}/settings/language", {"language": "xx"})
    assert refused.status_code == 422
    assert "unknown_language" in refused.text
    assert _org_language(runtime, org_id) == "es"


def test_a_plain_member_sees_the_language_but_may_not_change_it(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Lang members")
    member = seeded.member(runtime, owner.org_id)
    rows.sign_in(client, runtime, member.user_id)
    home = f"/o/{owner.org_id}"
    page = client.get(f"{home}/settings")
    assert page.status_code == 200
    assert "An admin may change it" in page.text
    assert 'id="org-language"' in page.text
    refused = submit(client, f"{home}/me", f"{home}/settings/language", {"language": "de"})
    assert refused.status_code == 403
    assert _org_language(runtime, owner.org_id) == "en"


def test_a_contacts_language_on_its_form_and_its_page(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "lang-contacts@example.com")
    form = client.get(f"{home}/contacts")
    assert _selected(form.text, "contact-language") == ""  # the organization's
    added = submit(
        client,
        f"{home}/contacts",
        f"{home}/contacts",
        {"name": "Paris desk", "phone": "+447400640001", "language": "fr"},
    )
    assert added.status_code == 303, added.text
    page = added.headers["location"]
    contact_id = page.rsplit("/", 1)[-1]
    assert _selected(client.get(page).text, "contact-language") == "fr"

    changed = submit(client, page, f"{page}/language", {"language": "pl"})
    assert changed.status_code == 303
    with runtime.database.read() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert contact.language == "pl"
    assert submit(client, page, f"{page}/language", {"language": ""}).status_code == 303
    assert _selected(client.get(page).text, "contact-language") == ""
    refused = submit(client, page, f"{page}/language", {"language": "zz"})
    assert refused.status_code == 422
    assert "unknown_language" in refused.text


def test_a_member_chooses_the_language_of_their_calls_in_my_profile(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Lang profile")
    member = seeded.member(runtime, owner.org_id)
    rows.sign_in(client, runtime, member.user_id)
    me = f"/o/{owner.org_id}/me"
    assert _selected(client.get(me).text, "my-language") == ""
    saved = submit(client, me, f"{me}/language", {"language": "uk"})
    assert (saved.status_code, saved.headers["location"]) == (303, me)
    with runtime.database.read() as session:
        membership = session.get(Membership, (owner.org_id, member.user_id))
        assert membership is not None
        assert membership.language == "uk"
    assert _selected(client.get(me).text, "my-language") == "uk"
    refused = submit(client, me, f"{me}/language", {"language": "Ukrainian"})
    assert refused.status_code == 422
    assert "unknown_language" in refused.text
