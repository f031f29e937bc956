"""The `tocsin` command. Each module registers its commands on the one typer app."""

from tocsin.cli import (
    admin,
    alerts,
    anomalies,
    billing,
    calendars,
    caller_ids,
    cases,
    consent,
    paging,
    passwords,
    people,
    policy,
    schedules,
    trust,
    webhooks,
)
from tocsin.cli.root import app

__all__ = [
    "admin",
    "alerts",
    "anomalies",
    "app",
    "billing",
    "calendars",
    "caller_ids",
    "cases",
    "consent",
    "main",
    "paging",
    "passwords",
    "people",
    "policy",
    "schedules",
    "trust",
    "webhooks",
]


def main() -> None:
    app()
