"""Playing a person's phone in a demo: `tocsin simulate reply` texts the server as if someone had
answered a simulated alert text, in the simulator's signed inbound format
(telephony/simulator_texts.py), and prints what Tocsin texted back.

It posts to the running server (`--url`, by default TOCSIN_PUBLIC_BASE_URL) as a provider would,
so the reply takes the same way as a real one: the signature check, the reply's scope, and the
answer through the simulator."""

from __future__ import annotations

import re

import httpx
import typer

from tocsin.cli.common import CliError, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.core.ids import new_id
from tocsin.paging.text_replies import last_sender
from tocsin.telephony.inbound import ACCOUNT_PARAMETER, INBOUND_ROUTE
from tocsin.telephony.rest.urls import callback_url
from tocsin.telephony.simulator import words_for
from tocsin.telephony.simulator_texts import inbound_text

simulate_app = group("simulate")

_TIMEOUT_SECONDS = 10.0
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_SEPARATORS = re.compile(r"[\s().-]")


@simulate_app.command("reply")
@friendly_errors
def reply(
    from_number: str = typer.Option(..., "--from", help="The number that answers (E.164)."),
    body: str = typer.Option(..., "--body", help='What it texts: "1", "2", "1 K3", "STOP"...'),
    to_number: str | None = typer.Option(
        None, "--to", help="The number it texts; default: the one that texted it an alert last."
    ),
    account: str | None = typer.Option(
        None, "--account", help="An organization's simulator provider account it arrived for."
    ),
    url: str | None = typer.Option(
        None, "--url", help="The server; default TOCSIN_PUBLIC_BASE_URL."
    ),
) -> None:
    """Text the server from a simulated phone, signed as the simulator signs, and print the
    answer."""
    runtime = open_runtime()
    sender = _e164(from_number, "--from")
    if to_number is None:
        with runtime.database.read() as session:
            found = last_sender(session, number=sender, now=runtime.clock.now())
        if found is None:
            raise CliError(
                f"no alert was texted to {sender} in the last 24 hours; name the number it "
                "answers with --to"
            )
        to_number = found
    message_id = new_id("simin")
    payload, headers = inbound_text(
        runtime.simulator_text_key,
        from_number=sender,
        to_number=_e164(to_number, "--to"),
        text=body,
        at=runtime.clock.now(),
        message_id=message_id,
    )
    query = {ACCOUNT_PARAMETER: account} if account else {}
    target = callback_url(
        url or runtime.settings.public_base_url, "simulator", INBOUND_ROUTE, **query
    )
    try:
        response = httpx.post(target, content=payload, headers=headers, timeout=_TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach the server at {target}: {error}") from error
    if response.status_code >= 300:
        raise CliError(
            f"the server refused the text (HTTP {response.status_code}): {_why(response)}"
        )
    answer = words_for(runtime.settings.data_dir, f"reply/{message_id}")
    typer.echo(f"{sender} texted {body!r} to {to_number}.")
    typer.echo(f"Tocsin answered: {answer}" if answer else "Tocsin sent no answer.")


def _e164(number: str, option: str) -> str:
    """The number as E.164 (`+447700900123`); separators people type are dropped."""
    compact = _SEPARATORS.sub("", number)
    if not _E164.fullmatch(compact):
        raise CliError(f"{option}: {number!r} is not an E.164 number such as +447700900123")
    return compact


def _why(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase
