"""Trust and safety from the shell: granting the platform role, acting, listing, lifting."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.shell import fails, run


def test_an_operator_suspends_and_lifts_from_the_shell(cli: CliRunner) -> None:
    org = run(cli, "org", "create", "Acme", "--country", "GB")
    taken = run(
        cli, "enforcement", "take", "suspension", "organization", org["id"],
        "--reason", "toll fraud pattern",
    )  # fmt: skip
    assert (taken["kind"], taken["scope"], taken["target_id"]) == (
        "suspension",
        "organization",
        org["id"],
    )
    listed = run(cli, "enforcement", "list", "--org", org["slug"])
    assert [action["id"] for action in listed] == [taken["id"]]
    assert run(cli, "enforcement", "lift", taken["id"])["lifted_at"] is not None
    assert "already lifted" in fails(cli, "enforcement", "lift", taken["id"])


def test_granting_the_platform_role(cli: CliRunner) -> None:
    run(cli, "user", "create", "staff@example.com", "--password-stdin",
        stdin="correct horse battery staple\n")  # fmt: skip
    assert run(cli, "admin", "grant", "staff@example.com")["platform_role"] == "admin"
    assert run(cli, "admin", "grant", "staff@example.com", "--revoke")["platform_role"] is None
    assert "no user" in fails(cli, "admin", "grant", "nobody@example.com")


def test_bad_enforcement_input_is_one_line(cli: CliRunner) -> None:
    assert "needs a reason" in fails(
        cli, "enforcement", "take", "warning", "number", "+447400123456", "--reason", " "
    )


def test_a_termination_from_the_shell_is_lifted_only_by_an_appeal(cli: CliRunner) -> None:
    """Issue 16, finding 4, from the shell: `enforcement lift` refuses a termination."""
    org = run(cli, "org", "create", "Acme", "--country", "GB")
    taken = run(
        cli, "enforcement", "take", "termination", "organization", org["id"], "--reason", "fraud"
    )
    assert "granting an appeal" in fails(cli, "enforcement", "lift", taken["id"])


def test_the_operator_moves_a_home_country_at_any_time_but_never_to_a_sanctioned_one(
    cli: CliRunner,
) -> None:
    """Issue 16, finding 7: the operator overrides the members' once-in-30-days limit."""
    org = run(cli, "org", "create", "Acme", "--country", "GB")
    assert run(cli, "org", "policy", org["slug"], "--home", "FR")["home_region"] == "FR"
    assert run(cli, "org", "policy", org["slug"], "--home", "DE")["home_region"] == "DE"
    assert "under sanctions" in fails(cli, "org", "policy", org["slug"], "--home", "IR")
    assert "under sanctions" in fails(cli, "org", "create", "Elsewhere", "--country", "KP")
