"""Policy documents from the shell: the versions of the acceptable-use policy and the terms,
and publishing a new one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from tocsin.cli.common import CLI_ACTOR, CliError, JsonOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.documents import commands, queries
from tocsin.documents.versions import Document, parse_kind

policy_app = group("policy")


def _describe(document: Document) -> dict[str, Any]:
    return {
        "kind": document.kind.value,
        "version": document.version,
        "title": document.title,
        "summary_of_changes": document.summary_of_changes,
        "material": document.material,
        "published_at": document.published_at,
        "effective_at": document.effective_at,
        "shipped": document.shipped,
    }


def _line(data: dict[str, Any]) -> str:
    effective = data["effective_at"]
    since = f"{effective:%Y-%m-%d %H:%M}" if effective else "shipped"
    material = "  material" if data["material"] else ""
    return (
        f"{data['kind']:<6} {data['version']:<12} {data['standing']:<11} {since:<16}"
        f"{material}  {data['title']}"
    )


@policy_app.command("list")
@friendly_errors
def policy_list(as_json: bool = JsonOption) -> None:
    """Every version of each policy, oldest first, and which is in force or upcoming."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        data = [
            {**_describe(document), "standing": standing}
            for document, standing in queries.history(session, runtime.clock.now())
        ]
    emit(as_json, data, "\n".join(_line(entry) for entry in data))


@policy_app.command("show")
@friendly_errors
def policy_show(
    kind: str = typer.Argument(..., help="aup or terms"),
    version: str | None = typer.Option(None, help="A version; by default the one in force."),
    as_json: bool = JsonOption,
) -> None:
    """Print a version of a policy in full."""
    policy_kind = parse_kind(kind)
    runtime = open_runtime()
    with runtime.database.read() as session:
        if version is None:
            document = queries.in_force(session, policy_kind, runtime.clock.now())
        else:
            document = queries.find(session, policy_kind.value, version)
    emit(as_json, {**_describe(document), "body": document.body}, document.body)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--effective: {text!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@policy_app.command("publish")
@friendly_errors
def policy_publish(
    kind: str = typer.Argument(..., help="aup or terms"),
    version: str = typer.Argument(..., help="The new version, e.g. 2027-03-01"),
    title: str = typer.Option(..., help="The document's title."),
    file: Path = typer.Option(..., help="The document's text (Markdown)."),
    material: bool = typer.Option(
        False, "--material", help="A material change: needs 30 days' notice; owners are told."
    ),
    effective: str | None = typer.Option(
        None,
        help="When it takes effect: an ISO 8601 date or time, UTC unless it says; by "
        "default at once.",
    ),
    summary: str | None = typer.Option(None, help="What changed; required for a material one."),
    as_json: bool = JsonOption,
) -> None:
    """Publish a new version of a policy."""
    policy_kind = parse_kind(kind)
    effective_at = _moment(effective) if effective is not None else None
    body = file.read_text("utf-8")
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        document = commands.publish(
            session,
            kind=policy_kind,
            version=version,
            title=title,
            body=body,
            summary_of_changes=summary,
            material=material,
            effective_at=effective_at,
            actor=CLI_ACTOR,
            now=now,
        )
    data = _describe(document)
    when = "now" if document.effective_at == now else f"on {document.effective_at:%Y-%m-%d %H:%M}"
    emit(as_json, data, f"published {document.kind.value} {document.version}, in force {when}")
