"""The case queue and the audit trail from the shell."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.shell import fails, run
from tocsin.cli.common import CLI_ACTOR
from tocsin.cli.database import open_runtime
from tocsin.trust.appeals import file_appeal
from tocsin.trust.cases import open_case
from tocsin.trust.models import CaseKind


def staff(cli: CliRunner, email: str) -> str:
    """A platform administrator made from the shell; their email, for `--as`."""
    run(cli, "user", "create", email, "--password-stdin", stdin="a long enough passphrase\n")
    run(cli, "admin", "grant", email)
    return email


def test_an_appeal_is_listed_answered_and_traced_from_the_shell(cli: CliRunner) -> None:
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")
    action = run(
        cli, "enforcement", "take", "suspension", "organization", org["id"], "--reason", "spam"
    )
    report = run(cli, "case", "list")
    assert report == []
    # An organization's appeal arrives through the API; here it is filed through the same
    # service, straight into the database the shell works on.
    runtime = open_runtime()
    with runtime.database.write() as session:
        case = file_appeal(
            session,
            org_id=org["id"],
            action_id=action["id"],
            statement="our own staff",
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        case_id = case.id
    [listed] = run(cli, "case", "list", "--kind", "appeal")
    assert (listed["id"], listed["overdue"]) == (case_id, False)
    assert run(cli, "case", "list", "--overdue") == []
    assert "say why" in fails(cli, "case", "update", case_id, "--status", "dismissed")
    run(cli, "case", "update", case_id, "--note", "looking")
    # An appeal is answered by a named administrator: the unnamed shell may not.
    assert "--as EMAIL" in fails(
        cli, "case", "update", case_id, "--status", "dismissed", "--resolution", "no"
    )
    admin = staff(cli, "dana@tocsin.example")
    decided = run(cli, "case", "decide", case_id, "grant", "--note", "verified rota", "--as", admin)
    assert decided["status"] == "resolved"
    shown = run(cli, "case", "show", case_id)
    assert [event["action"] for event in shown["history"]] == [
        "case.opened.appeal",
        "case.updated",
        "case.updated",
    ]
    [lifted] = run(cli, "enforcement", "list", "--org", org["id"])
    assert lifted["lifted_at"] is not None
    trail = run(cli, "audit", "search", "--org", org["id"], "--action", "enforcement.")
    assert [event["action"] for event in trail] == ["enforcement.lifted", "enforcement.suspension"]
    assert "no such case" in fails(cli, "case", "show", "case_nope")


def test_acting_on_a_case_records_the_action_on_it(cli: CliRunner) -> None:
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")
    runtime = open_runtime()
    with runtime.database.write() as session:
        case, _ = open_case(
            session,
            kind=CaseKind.ANOMALY,
            summary="broadcast",
            details={},
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            org_id=org["id"],
        )
        case_id = case.id
    acted = run(
        cli, "case", "act", case_id, "warning", "organization", org["id"], "--reason", "one text"
    )
    shown = run(cli, "case", "show", case_id)
    assert shown["action_id"] == acted["action_id"]
    assert shown["history"][-1]["action"] == "case.action_taken"


def test_at_the_shell_the_administrator_who_acted_or_filed_does_not_decide(
    cli: CliRunner,
) -> None:
    """issue 16, finding 11: the admin who took an action could decide the appeal against it;
    a user's action could not be appealed."""
    acting, filing, deciding = (
        staff(cli, f"{name}@tocsin.example") for name in ("ana", "bea", "cal")
    )
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")
    user = run(cli, "user", "create", "ops@example.com", "--password-stdin", stdin="passphrase!\n")
    runtime = open_runtime()
    with runtime.database.write() as session:
        case, _ = open_case(
            session,
            kind=CaseKind.ABUSE_REPORT,
            summary="calls at night",
            details={},
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            org_id=org["id"],
        )
        report_id = case.id
    acted = run(
        cli,
        "case",
        "act",
        report_id,
        "suspension",
        "user",
        user["id"],
        "--reason",
        "r",
        "--as",
        acting,
    )
    appeal = run(
        cli, "case", "appeal", acted["action_id"], "--statement", "by mail", "--as", filing
    )
    assert appeal["kind"] == "appeal"

    for who in (acting, filing):
        refused = fails(cli, "case", "decide", appeal["id"], "uphold", "--note", "n", "--as", who)
        assert "another administrator decides it" in refused
    assert "not a platform administrator" in fails(
        cli, "case", "decide", appeal["id"], "grant", "--note", "n", "--as", "ops@example.com"
    )
    decided = run(cli, "case", "decide", appeal["id"], "grant", "--note", "ok", "--as", deciding)
    assert decided["status"] == "resolved"
