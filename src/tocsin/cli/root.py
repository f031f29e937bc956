"""The `tocsin` command: run the server and worker, and administer a server from its shell.

Admin commands work directly on the database, so they need no running server and no token: the
person with shell access to the host is already trusted with its database.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import typer
import typer.core
import typer.main

from tocsin import __version__


@dataclass(frozen=True)
class Entry:
    """One command or group of `tocsin`: the line `tocsin --help` shows for it (a group's
    whole help), and the modules of tocsin.cli that declare it and its subcommands."""

    summary: str
    modules: tuple[str, ...]


def _entry(summary: str, *modules: str) -> Entry:
    return Entry(summary, modules)


# Every command and group of `tocsin`, in the order `tocsin --help` lists them. This table is
# the one place where the CLI's modules are imported lazily: a command's modules are imported
# only when it runs or its own --help is asked for, so `tocsin --help` imports none of them and
# `tocsin screen` does not pay for the server's. tests/test_cli_registry.py checks the table
# against what the modules declare.
COMMANDS: dict[str, Entry] = {
    "serve": _entry(
        "Upgrade the schema, then serve the API (and, by default, place calls).", "admin"
    ),
    "worker": _entry("Run a delivery worker: claim due call jobs and place the calls.", "admin"),
    "screen": _entry(
        "Judge numbers under the platform policy (every non-sanctioned country allowed).",
        "screening",
    ),
    "quickstart": _entry(
        "Set up a demo organization, contact, endpoint and key, and print a curl that pages it.",
        "admin",
    ),
    "backup": _entry(
        "Copy the SQLite database while Tocsin runs (SQLite's online backup API).", "backups"
    ),
    "restore": _entry(
        "Put a backup in place of the SQLite database; stop every Tocsin process first.",
        "backups",
    ),
    "usage": _entry(
        "Calls used and left today and this month, per day and per endpoint.", "billing"
    ),
    "where": _entry(
        "Say which database and data directory commands use, and how they were found "
        "(TOCSIN_HOME, else the config file's home, else ~/.local/share/tocsin).",
        "where",
    ),
    "db": _entry("Database schema.", "admin"),
    "org": _entry("Organizations.", "admin", "organizations"),
    "user": _entry("Users.", "admin", "organizations", "passwords"),
    "key": _entry("API keys.", "admin", "organizations"),
    "endpoint": _entry("Webhook endpoints.", "admin", "endpoints", "paging"),
    "contact": _entry("Contacts (phone numbers to call).", "admin", "consent", "endpoints"),
    "provider": _entry("Telephony provider accounts.", "admin", "providers"),
    "call": _entry("Calls.", "admin"),
    "alert": _entry("Alerts: list, timeline, acknowledge, resolve.", "alerts"),
    "trust": _entry("Trust and safety: the anomaly scan.", "anomalies"),
    "plan": _entry("The plan catalogue and each organization's plan.", "billing"),
    "billing": _entry("Trials, subscriptions and chargebacks.", "billing"),
    "calendar": _entry("iCal feeds of shifts, and external calendars schedules read.", "calendars"),
    "caller-id": _entry("Numbers an organization may show as its caller ID.", "caller_ids"),
    "case": _entry("The trust and safety case queue: abuse reports, anomalies, appeals.", "cases"),
    "audit": _entry("The platform's audit trail.", "cases"),
    "escalation": _entry("Escalation policies: call, wait, repeat.", "paging", "endpoints"),
    "number": _entry("Numbers not to call (the do-not-call list).", "paging"),
    "engine": _entry("The delivery engine.", "paging"),
    "heartbeat": _entry(
        "Heartbeat monitors: jobs that ping, and an alert when a ping does not come.",
        "heartbeats",
    ),
    "maintenance": _entry(
        "Maintenance windows and silences: alerts they cover call nobody.", "maintenance"
    ),
    "member": _entry("Members of an organization and their roles.", "organizations"),
    "invite": _entry("Invites to join an organization.", "organizations"),
    "people": _entry("Members as on-call people: their numbers and notification rules.", "people"),
    "project": _entry("Projects (teams) of endpoints, policies, schedules and members.", "people"),
    "policy": _entry("The acceptable-use policy and the terms, and their versions.", "policy"),
    "rotation": _entry("Rotations: people who take turns on call.", "schedules"),
    "schedule": _entry(
        "Schedules: layers of rotations and people, overrides, who is on call.", "schedules"
    ),
    "simulate": _entry("Play the simulator's callees: answer an alert text.", "simulate"),
    "admin": _entry("Platform administrators (trust and safety staff).", "trust"),
    "enforcement": _entry("Warnings, suspensions and terminations.", "trust"),
    "webhook": _entry("Outgoing webhooks: alert events POSTed to your URLs, signed.", "webhooks"),
}


class _Argument(typer.core.TyperArgument):
    """An argument shown by its name alone (`NAME`), never by its Python type."""

    __slots__ = ()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


class _Option(typer.core.TyperOption):
    """An option shown with a placeholder (`--org ORG`, `--scope [ingest|read|write]`), never
    with its Python type (`<list[str]>`)."""

    __slots__ = ()

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        described = self.type_descriptor
        if described.is_choice:
            return (
                "[" + "|".join(str(getattr(c, "value", c)) for c in described.choices or ()) + "]"
            )
        return (self.name or "value").upper()


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def _show_plainly(command: Any) -> None:
    """Make a command's help plain, whatever module declared it: arguments by name, options by
    placeholder."""
    for param in command.params:
        if isinstance(param, typer.core.TyperArgument):
            if param.metavar is None and param.name:
                param.metavar = param.name.upper()
            param.__class__ = _Argument
        elif isinstance(param, typer.core.TyperOption):
            param.__class__ = _Option


@contextlib.contextmanager
def lasting() -> Iterator[None]:
    """Build what the process keeps for its whole life (a command's modules; for `serve`, the
    application's): the cycle collector paused (if it ran), and what was made frozen after.

    Those are a few hundred thousand objects (classes, functions, tables, routes and their
    pydantic validators). Left on, the collector walks every one of them again each time their
    number grows by a quarter: five full rounds while `tocsin serve` starts, a third of a second
    of its start. Frozen (`gc.freeze`), no collection walks them again, neither during start-up
    nor in a server's steady state, whose own collections stay small. The few cycles of
    garbage that building them leaves (about a MiB for `serve`) are frozen with them."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


class _Group(typer.core.TyperGroup):
    """The `tocsin` group: it lists COMMANDS, and builds a command from its modules when it is
    looked up."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _show_plainly(self)
        self._built: set[str] = set()

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if cmd_name not in self._built:
            with lasting():
                for module in entry.modules:
                    importlib.import_module(f"tocsin.cli.{module}")
            # Built afresh from every module now imported: a group that another command's
            # modules declared in part (`contact` by admin.py alone) is complete only now.
            command = typer.main.get_group(app).commands[cmd_name]
            for part in _commands(command):
                _show_plainly(part)
            self.commands[cmd_name] = command
            self._built.add(cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list of commands, from COMMANDS alone: importing every command to ask for its
        help would cost the seconds this table saves."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, typer.core.TyperCommand(name, help=entry.summary).get_short_help_str(limit))
            for name, entry in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    cls=_Group, no_args_is_help=True, add_completion=False, help=__doc__, rich_markup_mode=None
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"tocsin {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print Tocsin's version and exit.",
    ),
) -> None:
    """Options every `tocsin` command line may start with."""


def group(name: str) -> typer.Typer:
    """A command group, `tocsin NAME ...`, with its help from COMMANDS."""
    sub = typer.Typer(no_args_is_help=True, help=COMMANDS[name].summary)
    app.add_typer(sub, name=name)
    return sub
