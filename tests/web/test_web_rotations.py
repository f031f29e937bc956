"""The rotation forms without a browser: members are chosen by name and e-mail, one select per
turn, and the order chosen is the order saved; editing shows the turns as they are and keeps
them; a member of another organization is refused; members look but are offered no form."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.oncall.schedule_rows import named_member, rotation
from tests.rows import browser_for
from tests.web.browser_forms import form_token
from tocsin.accounts.service import get_user
from tocsin.http.web.render import ordinal
from tocsin.oncall import rotations
from tocsin.runtime import Runtime

_TURN = re.compile(r'<select id="turn-\d+" name="participant">(.*?)</select>', re.S)
_SELECTED = re.compile(r'<option value="([^"]*)" selected>')


def _turns(html: str) -> list[str]:
    """The member chosen for each turn the page's form shows, empty turns left out."""
    chosen = (_SELECTED.search(select) for select in _TURN.findall(html))
    return [found.group(1) for found in chosen if found is not None]


def _participants(runtime: Runtime, org_id: str, rotation_id: str) -> list[str]:
    with runtime.database.read() as session:
        row = rotations.get_rotation(session, org_id=org_id, rotation_id=rotation_id)
        return list(row.participants)


def _rotation_ids(runtime: Runtime, org_id: str) -> list[str]:
    with runtime.database.read() as session:
        page = rotations.list_rotations(session, org_id=org_id, limit=50, cursor=None)
        return [row.id for row in page.items]


def _email(runtime: Runtime, user_id: str) -> str:
    with runtime.database.read() as session:
        return get_user(session, user_id).email


def _name(runtime: Runtime, user_id: str) -> str:
    with runtime.database.read() as session:
        return get_user(session, user_id).display_name


@pytest.mark.parametrize(
    ("number", "written"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
     (13, "13th"), (21, "21st"), (22, "22nd"), (111, "111th"), (123, "123rd")],
)  # fmt: skip
def test_turns_are_numbered_in_words(number: int, written: str) -> None:
    assert ordinal(number) == written


def test_a_rotation_is_made_from_members_chosen_by_name_in_order(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    cleo = named_member(runtime, owner.org_id, "Cleo")
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/rotations"

    shown = browser.get(page).text
    assert f'<option value="{ana}">Ana ({_email(runtime, ana)})</option>' in shown
    assert (
        f'<option value="{owner.user_id}">{_name(runtime, owner.user_id)} ({owner.email})' in shown
    )
    assert "member ids" not in shown
    assert [f">{ordinal(n)}</label>" in shown for n in (1, 2, 3)] == [True, True, True]
    assert _turns(shown) == []

    made = browser.post(
        page,
        data={
            "csrf_token": form_token(shown),
            "name": "Weekly",
            "unit": "weeks",
            "count": "1",
            "handoff_time": "09:00",
            "timezone": "Europe/London",
            "start_at": runtime.clock.now().strftime("%Y-%m-%dT%H:%M"),
            # Cleo first, a turn left empty, then Ana and Ben: the order of the selects.
            "participant": [cleo, "", ana, ben],
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    rotation_id = made.headers["location"].rsplit("/", 1)[1]
    assert _participants(runtime, owner.org_id, rotation_id) == [cleo, ana, ben]

    detail = browser.get(made.headers["location"]).text
    assert _turns(detail) == [cleo, ana, ben]
    assert "Taking turns: Cleo, then Ana, then Ben." in detail
    listing = browser.get(page).text.split('id="rotations"')[1].split("</table>")[0]
    assert "Cleo, Ana, Ben" in listing
    assert cleo not in listing.replace(f"/rotations/{rotation_id}", "")


def test_editing_a_rotation_shows_its_turns_in_order_and_keeps_them(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    weekly = rotation(runtime, owner.org_id, ben, ana, ben)
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/rotations/{weekly}"

    shown = browser.get(page).text
    # One member may take several turns; two empty turns are offered after the last.
    assert _turns(shown) == [ben, ana, ben]
    assert len(_TURN.findall(shown)) == 5

    renamed = browser.post(
        page,
        data={"csrf_token": form_token(shown), "name": "Renamed", "participant": _turns(shown)},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    assert _participants(runtime, owner.org_id, weekly) == [ben, ana, ben]

    reordered = browser.post(
        page,
        data={"csrf_token": form_token(shown), "name": "Renamed", "participant": [ana, "", ben]},
        follow_redirects=False,
    )
    assert reordered.status_code == 303
    assert _participants(runtime, owner.org_id, weekly) == [ana, ben]
    assert _turns(browser.get(page).text) == [ana, ben]

    emptied = browser.post(
        page, data={"csrf_token": form_token(shown), "name": "Renamed", "participant": ["", ""]}
    )
    assert emptied.status_code == 422
    assert "invalid_participants" in emptied.text
    assert _participants(runtime, owner.org_id, weekly) == [ana, ben]


def test_a_member_of_another_organization_is_refused(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    stranger = seeded.person(runtime, org_name="Elsewhere")
    weekly = rotation(runtime, owner.org_id, ana)
    browser = browser_for(client, runtime, owner.user_id)
    listing = f"/o/{owner.org_id}/rotations"
    token = form_token(browser.get(listing).text)
    assert stranger.user_id not in browser.get(listing).text

    made = browser.post(
        listing,
        data={
            "csrf_token": token,
            "name": "Sneaky",
            "start_at": runtime.clock.now().strftime("%Y-%m-%dT%H:%M"),
            "participant": [ana, stranger.user_id],
        },
    )
    assert made.status_code == 404
    assert "member_not_found" in made.text
    assert _rotation_ids(runtime, owner.org_id) == [weekly]
    # The refused form keeps what was sent, the stranger named by nothing of theirs.
    assert 'value="Sneaky"' in made.text
    assert _turns(made.text) == [ana, stranger.user_id]
    assert "not a member of this organization" in made.text
    assert _email(runtime, stranger.user_id) not in made.text

    changed = browser.post(
        f"{listing}/{weekly}", data={"csrf_token": token, "participant": [stranger.user_id]}
    )
    assert changed.status_code == 404
    assert "member_not_found" in changed.text
    assert _participants(runtime, owner.org_id, weekly) == [ana]


def test_a_member_sees_the_turns_but_no_form(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    weekly = rotation(runtime, owner.org_id, ana, owner.user_id)
    member = browser_for(client, runtime, ana)
    page = f"/o/{owner.org_id}/rotations/{weekly}"

    shown = member.get(page)
    assert shown.status_code == 200
    assert f"Taking turns: Ana, then {_name(runtime, owner.user_id)}." in shown.text
    assert 'id="change-rotation"' not in shown.text
    assert 'id="new-rotation"' not in member.get(f"/o/{owner.org_id}/rotations").text
    refused = member.post(page, data={"csrf_token": form_token(shown.text), "participant": [ana]})
    assert refused.status_code == 403
    assert _participants(runtime, owner.org_id, weekly) == [ana, owner.user_id]
