"""iCal feeds out: a secret, revocable address per member or schedule, only its digest kept,
and a feed that parses with icalendar and says exactly the computed shifts."""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.oncall import oncall_rows
from tocsin.accounts.models import ApiKey, Role
from tocsin.core.actors import Actor
from tocsin.core.secrets import digest
from tocsin.oncall import evaluation
from tocsin.oncall.models import CalendarToken
from tocsin.organizations import api_keys
from tocsin.organizations.commands import remove_member
from tocsin.runtime import Runtime


def events_of(
    data: bytes, starts_at: datetime, ends_at: datetime
) -> list[tuple[datetime, datetime, str]]:
    calendar = icalendar.Calendar.from_ical(data)
    found = []
    for event in calendar.walk("VEVENT"):
        begins, ends = event.decoded("DTSTART"), event.decoded("DTEND")
        if begins < ends_at and ends > starts_at:
            found.append((begins, ends, str(event.get("SUMMARY"))))
    return sorted(found)


def path_of(url: str) -> str:
    return url[url.index("/v1/calendars/") :]


def test_a_schedule_feed_matches_the_computed_shifts_for_30_days(
    runtime: Runtime, client: TestClient
) -> None:
    owner = seeded.person(runtime, org_name="Calendars")
    ana = seeded.member(runtime, owner.org_id)
    ben = seeded.member(runtime, owner.org_id)
    now = runtime.clock.now()
    schedule_id = oncall_rows.schedule(
        runtime,
        owner.org_id,
        oncall_rows.always(ben.user_id),
        oncall_rows.working_hours(ana.user_id),
    )
    oncall_rows.replace(
        runtime,
        owner.org_id,
        schedule_id,
        user_id=ben.user_id,
        replaces=ana.user_id,
        starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=6),
    )

    made = client.post(
        f"/v1/orgs/{owner.org_id}/calendar-tokens",
        json={"kind": "schedule", "schedule_id": schedule_id},
        headers=owner.auth,
    )
    assert made.status_code == 201, made.text
    feed = client.get(path_of(made.json()["url"]))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")

    window = (now, now + timedelta(days=30))
    with runtime.database.read() as session:
        shifts = evaluation.schedule_shifts(
            session,
            org_id=owner.org_id,
            schedule_id=schedule_id,
            starts_at=now - timedelta(days=7),
            ends_at=now + timedelta(days=60),
        )
    assert shifts
    expected = sorted(
        (shift.starts_at, shift.ends_at, shift.user_id)
        for shift in shifts
        if shift.starts_at < window[1] and shift.ends_at > window[0]
    )
    got = events_of(feed.content, *window)
    assert [(begins, ends) for begins, ends, _ in got] == [(b, e) for b, e, _ in expected]
    # Ana works weekdays only, and the override gives her day 5 to Ben.
    assert len({b for b, _, user in expected if user == ana.user_id}) < 30
    listed = client.get(f"/v1/orgs/{owner.org_id}/calendar-tokens", headers=owner.auth).json()
    assert "url" not in listed["items"][0]


def test_only_a_digest_of_the_address_is_kept_and_revoking_it_answers_404(
    runtime: Runtime, client: TestClient
) -> None:
    owner = seeded.person(runtime, org_name="Calendars")
    oncall_rows.schedule(runtime, owner.org_id, oncall_rows.always(owner.user_id))
    made = client.post(
        f"/v1/orgs/{owner.org_id}/calendar-tokens", json={"kind": "person"}, headers=owner.auth
    ).json()
    secret = made["url"].rsplit("/", 1)[1].removesuffix(".ics")
    with runtime.database.read() as session:
        row = session.scalars(select(CalendarToken)).one()
        assert row.token_digest == digest(runtime.calendar_token_key, secret)
        assert secret not in {row.id, row.token_digest, row.subject_id, row.created_by}
        assert row.subject_id == owner.user_id

    assert client.get(path_of(made["url"])).status_code == 200
    # No credentials are needed or looked at: the address is the secret.
    assert (
        client.get(path_of(made["url"]), headers={"Authorization": "Bearer nonsense"}).status_code
        == 200
    )

    gone = client.delete(
        f"/v1/orgs/{owner.org_id}/calendar-tokens/{made['id']}", headers=owner.auth
    )
    assert gone.status_code == 204
    answer = client.get(path_of(made["url"]))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "calendar_not_found"
    # A guess and a malformed address answer alike.
    assert client.get("/v1/calendars/cal" + "A" * 40 + ".ics").status_code == 404
    assert client.get("/v1/calendars/x.ics").status_code == 404


def test_my_shifts_feed_holds_my_shifts_of_every_schedule(
    runtime: Runtime, client: TestClient
) -> None:
    owner = seeded.person(runtime, org_name="Calendars")
    ana = seeded.member(runtime, owner.org_id)
    oncall_rows.schedule(
        runtime, owner.org_id, oncall_rows.working_hours(ana.user_id), name="Primary"
    )
    oncall_rows.schedule(runtime, owner.org_id, oncall_rows.always(owner.user_id), name="Secondary")
    made = client.post(
        f"/v1/orgs/{owner.org_id}/calendar-tokens", json={"kind": "person"}, headers=ana.auth
    ).json()
    now = runtime.clock.now()
    window = (now, now + timedelta(days=30))
    with runtime.database.read() as session:
        mine = evaluation.member_shifts(
            session,
            org_id=owner.org_id,
            user_id=ana.user_id,
            starts_at=now - timedelta(days=7),
            ends_at=now + timedelta(days=60),
        )
    got = events_of(client.get(path_of(made["url"])).content, *window)
    expected = sorted(
        (shift.starts_at, shift.ends_at)
        for _, shift in mine
        if shift.starts_at < window[1] and shift.ends_at > window[0]
    )
    assert [(b, e) for b, e, _ in got] == expected
    assert all("Primary" in summary for _, _, summary in got)
    # The owner sees the schedule feeds and their own, not Ana's.
    listed = client.get(f"/v1/orgs/{owner.org_id}/calendar-tokens", headers=owner.auth).json()
    assert listed["items"] == []
    assert (
        client.delete(
            f"/v1/orgs/{owner.org_id}/calendar-tokens/{made['id']}", headers=owner.auth
        ).status_code
        == 404
    )


def test_a_schedule_of_another_organization_gets_no_feed(
    runtime: Runtime, client: TestClient
) -> None:
    owner = seeded.person(runtime, org_name="Calendars")
    other = seeded.person(runtime, org_name="Elsewhere")
    theirs = oncall_rows.schedule(runtime, other.org_id, oncall_rows.always(other.user_id))
    answer = client.post(
        f"/v1/orgs/{owner.org_id}/calendar-tokens",
        json={"kind": "schedule", "schedule_id": theirs},
        headers=owner.auth,
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "schedule_not_found"


def test_a_schedule_feed_made_by_a_member_who_left_stops_answering(
    runtime: Runtime, client: TestClient
) -> None:
    """The address is the secret: a member who leaves must not keep reading the
    organization's rota (names and times of who is on call) through a feed they made."""
    owner = seeded.person(runtime, org_name="Calendars")
    ana = seeded.member(runtime, owner.org_id)
    schedule_id = oncall_rows.schedule(runtime, owner.org_id, oncall_rows.always(owner.user_id))
    made = client.post(
        f"/v1/orgs/{owner.org_id}/calendar-tokens",
        json={"kind": "schedule", "schedule_id": schedule_id},
        headers=ana.auth,
    ).json()
    kept = client.post(
        f"/v1/orgs/{owner.org_id}/calendar-tokens",
        json={"kind": "schedule", "schedule_id": schedule_id},
        headers=owner.auth,
    ).json()
    assert client.get(path_of(made["url"])).status_code == 200

    with runtime.database.write() as session:
        remove_member(
            session,
            org_id=owner.org_id,
            user_id=ana.user_id,
            removed_by=owner.user_id,
            remover_role=Role.OWNER,
            actor=Actor("user", owner.user_id),
            now=runtime.clock.now(),
        )

    answer = client.get(path_of(made["url"]))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "calendar_not_found"
    # The owner's feed of the same schedule still answers.
    assert client.get(path_of(kept["url"])).status_code == 200


def test_a_feed_made_through_an_api_key_stops_answering_when_the_key_is_revoked(
    runtime: Runtime, client: TestClient
) -> None:
    owner = seeded.person(runtime, org_name="Calendars")
    schedule_id = oncall_rows.schedule(runtime, owner.org_id, oncall_rows.always(owner.user_id))
    plaintext = seeded.api_key(runtime, owner.org_id, scopes=("read", "write"))
    made = client.post(
        f"/v1/orgs/{owner.org_id}/calendar-tokens",
        json={"kind": "schedule", "schedule_id": schedule_id},
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    assert made.status_code == 201, made.text
    assert client.get(path_of(made.json()["url"])).status_code == 200

    with runtime.database.write() as session:
        key_id = session.scalars(select(ApiKey.id).where(ApiKey.org_id == owner.org_id)).one()
        api_keys.revoke_api_key(
            session,
            org_id=owner.org_id,
            key_id=key_id,
            actor=Actor("user", owner.user_id),
            now=runtime.clock.now(),
        )
    assert client.get(path_of(made.json()["url"])).status_code == 404
