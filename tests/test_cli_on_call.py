"""Who is on call from the shell, per person and per project, and a schedule's gap flag."""

from __future__ import annotations

from typer.testing import CliRunner

from tests import seeded
from tests.oncall import oncall_rows, schedule_rows
from tests.shell import fails, run
from tocsin.runtime import Runtime


def test_a_members_shifts_and_a_projects_on_call_from_the_shell(
    cli: CliRunner, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Shell on call")
    org = owner.org_id
    ana = schedule_rows.named_member(runtime, org, "Ana")
    ben = schedule_rows.named_member(runtime, org, "Ben")
    project = schedule_rows.project(runtime, org)
    primary = schedule_rows.schedule(
        runtime, org, oncall_rows.always(ben), oncall_rows.working_hours(ana), project_id=project
    )
    secondary = schedule_rows.schedule(
        runtime, org, oncall_rows.always(ben), name="Platform secondary", project_id=project
    )
    schedule_rows.schedule(runtime, org, oncall_rows.always(ana), name="Elsewhere")

    shifts = run(cli, "people", "shifts", ana, "--org", org, "--next", "3")
    assert len(shifts) == 3
    assert {s["user_id"] for s in shifts} == {ana}
    assert {s["schedule_name"] for s in shifts} <= {"Platform primary", "Elsewhere"}
    assert all(s["starts_at"] < s["ends_at"] for s in shifts)
    assert [s["starts_at"] for s in shifts] == sorted(s["starts_at"] for s in shifts)

    on_call = run(cli, "project", "oncall", project, "--org", org, "--at", "2026-01-05T03:00Z")
    assert on_call["project_id"] == project
    by_schedule = {item["schedule_id"]: item for item in on_call["schedules"]}
    assert set(by_schedule) == {primary, secondary}
    assert by_schedule[secondary]["names"] == ["Ben"]
    # Monday 03:00 London: Ana's weekday hours have not begun, Ben's "always" layer shows.
    assert by_schedule[primary]["user_ids"] == [ben]
    at_noon = run(cli, "project", "oncall", project, "--org", org, "--at", "2026-01-05T12:00Z")
    noon = {item["schedule_id"]: item for item in at_noon["schedules"]}
    assert noon[primary]["user_ids"] == [ana]
    assert noon[primary]["description"].startswith("Platform primary: Ana")

    # The team's next shifts: both schedules of the project, by start, and never "Elsewhere".
    team = run(cli, "project", "shifts", project, "--org", org, "--next", "6")
    assert len(team) == 6
    assert {s["schedule_id"] for s in team} == {primary, secondary}
    assert [s["starts_at"] for s in team] == sorted(s["starts_at"] for s in team)
    assert {s["name"] for s in team if s["schedule_id"] == secondary} == {"Ben"}

    assert "member not found" in fails(cli, "people", "shifts", "usr_nobody", "--org", org)
    assert "project not found" in fails(cli, "project", "shifts", "prj_nowhere", "--org", org)
    assert "project not found" in fails(cli, "project", "oncall", "prj_nowhere", "--org", org)
    assert "needs an offset" in fails(
        cli, "project", "oncall", project, "--org", org, "--at", "2026-01-05T12:00"
    )


def test_schedule_show_says_when_its_gap_starts(cli: CliRunner, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Shell gaps")
    org = owner.org_id
    ana = seeded.member(runtime, org).user_id
    covered = schedule_rows.schedule(runtime, org, oncall_rows.always(ana), name="Covered")
    office = schedule_rows.schedule(runtime, org, oncall_rows.working_hours(ana), name="Office")
    assert run(cli, "schedule", "show", covered, "--org", org)["gap_starts_at"] is None
    assert run(cli, "schedule", "show", office, "--org", org)["gap_starts_at"] is not None
