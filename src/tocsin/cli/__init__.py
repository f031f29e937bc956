"""The `tocsin` command. Each module registers its commands on the one typer app."""

from tocsin.cli import admin, alerts, billing, paging, trust
from tocsin.cli.root import app

__all__ = ["admin", "alerts", "app", "billing", "main", "paging", "trust"]


def main() -> None:
    app()
