"""Choosing the language of the call prompts from the shell: an organization's, a contact's and
a member's, each refused in one line for a code the catalogue lacks."""

from __future__ import annotations

from typer.testing import CliRunner

from tests import seeded
from tests.shell import fails, run
from tocsin.runtime import Runtime


def test_an_organizations_language_from_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Shell languages")
    updated = run(cli, "org", "update", owner.org_id, "--language", "fr")
    assert (updated["id"], updated["language"]) == (owner.org_id, "fr")
    refused = fails(cli, "org", "update", owner.org_id, "--language", "xx")
    assert "unknown language 'xx'" in refused
    assert "en, es, fr, de, pt, it, pl, uk" in refused
    assert run(cli, "org", "update", owner.org_id, "--name", "Renamed")["language"] == "fr"


def test_a_contacts_language_from_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Shell contact languages")
    org = owner.org_id
    added = run(cli, "contact", "add", "Desk", "+447400630001", "--org", org, "--language", "es")
    assert added["language"] == "es"
    plain = run(cli, "contact", "add", "Plain", "+447400630002", "--org", org)
    assert plain["language"] is None
    changed = run(cli, "contact", "update", added["id"], "--org", org, "--language", "uk")
    assert changed["language"] == "uk"
    assert (
        run(cli, "contact", "update", added["id"], "--org", org, "--language", "")["language"]
        is None
    )
    # Codes are written as the catalogue writes them.
    assert "unknown language 'ES'" in fails(
        cli, "contact", "update", added["id"], "--org", org, "--language", "ES"
    )
    assert "unknown language 'zz'" in fails(
        cli, "contact", "add", "X", "+447400630003", "--org", org, "--language", "zz"
    )


def test_a_members_language_from_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Shell member languages")
    org, ana = owner.org_id, seeded.member(runtime, owner.org_id).user_id
    assert run(cli, "people", "language", ana, "--org", org, "--language", "pt") == {
        "user_id": ana,
        "language": "pt",
    }
    assert run(cli, "people", "show", ana, "--org", org)["language"] == "pt"
    assert run(cli, "people", "language", ana, "--org", org, "--language", "")["language"] is None
    assert "unknown language" in fails(cli, "people", "language", ana, "--org", org,
                                       "--language", "english")  # fmt: skip
