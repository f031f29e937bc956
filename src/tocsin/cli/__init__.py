"""The `tocsin` command. Its commands are listed in tocsin.cli.root.COMMANDS and imported only
when one of them runs."""

from tocsin.cli.root import app

__all__ = ["app", "main"]


def main() -> None:
    app()
