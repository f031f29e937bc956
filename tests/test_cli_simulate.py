"""`tocsin simulate reply`: a demo's phone answers an alert text, over HTTP to a running server,
signed as the simulator signs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from tests.delivery.pager import Pager, uk_mobile
from tests.delivery.test_text_replies import Ana
from tests.shell import fails
from tests.telephony.rest.fakes import serve
from tocsin.cli import app as tocsin

pytestmark = [pytest.mark.pager(rounds=1, unanswered_retries=0)]


@pytest.fixture
def ana(pager: Pager) -> Ana:
    # The command runs on the wall clock, as a shell does; the server's clock is set to it.
    pager.clock.advance((datetime.now(UTC) - pager.clock.now()).total_seconds())
    return Ana(pager)


def test_a_reply_played_from_the_shell_acknowledges_and_prints_the_answer(
    pager: Pager, ana: Ana, cli: CliRunner, app: FastAPI
) -> None:
    alert_id = ana.paged()
    reference = ana.reference(alert_id)

    with serve(app) as url:
        result = cli.invoke(
            tocsin, ["simulate", "reply", "--from", ana.number, "--body", "1", "--url", url]
        )

    assert result.exit_code == 0, result.output
    assert f"Tocsin answered: Tocsin: Acknowledged #{reference}: Disk full on db1." in (
        result.stdout
    )
    assert pager.alert(alert_id)["status"] == "acknowledged"


def test_a_number_that_was_texted_nothing_needs_to(pager: Pager, ana: Ana, cli: CliRunner) -> None:
    line = fails(cli, "simulate", "reply", "--from", uk_mobile(), "--body", "1")
    assert "no alert was texted to" in line


def test_a_number_that_is_not_e164_is_refused(cli: CliRunner) -> None:
    line = fails(cli, "simulate", "reply", "--from", "0770 090 0123", "--body", "1", "--to", "+1")
    assert "--from: '0770 090 0123' is not an E.164 number" in line


def test_a_refusal_by_the_server_is_one_line(
    pager: Pager, ana: Ana, cli: CliRunner, app: FastAPI
) -> None:
    ana.paged()
    with serve(app) as url:
        line = fails(
            cli,
            "simulate",
            "reply",
            "--from",
            ana.number,
            "--body",
            "1",
            "--account",
            "prv_unknown",
            "--url",
            url,
        )
    assert "the server refused the text (HTTP 404)" in line
