"""The `tocsin` command: run the server and worker, and administer a server from its shell.

Admin commands work directly on the database, so they need no running server and no token: the
person with shell access to the host is already trusted with its database.
"""

from __future__ import annotations

import typer

from tocsin import __version__

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


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
