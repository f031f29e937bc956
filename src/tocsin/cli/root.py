"""The `tocsin` command: run the server and worker, and administer a server from its shell.

Admin commands work directly on the database, so they need no running server and no token: the
person with shell access to the host is already trusted with its database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
import typer.core

from tocsin import __version__


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


class _Group(typer.core.TyperGroup):
    """The `tocsin` group: its whole tree is built before it, so it is where every command's
    help is made plain, once, whatever module declared the command."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in _commands(self):
            for param in command.params:
                if isinstance(param, typer.core.TyperArgument):
                    if param.metavar is None and param.name:
                        param.metavar = param.name.upper()
                    param.__class__ = _Argument
                elif isinstance(param, typer.core.TyperOption):
                    param.__class__ = _Option


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


def group(name: str, help: str) -> typer.Typer:
    """A command group, `tocsin NAME ...`."""
    sub = typer.Typer(no_args_is_help=True, help=help)
    app.add_typer(sub, name=name)
    return sub
