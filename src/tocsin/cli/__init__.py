"""The `tocsin` command. Each module registers its commands on the one typer app."""

from tocsin.cli import (
    admin,
    alerts,
    anomalies,
    backups,
    billing,
    calendars,
    caller_ids,
    cases,
    consent,
    heartbeats,
    maintenance,
    paging,
    passwords,
    people,
    policy,
    schedules,
    simulate,
    trust,
    webhooks,
    where,
)
from tocsin.cli.root import app

__all__ = [
    "admin",
    "alerts",
    "anomalies",
    "app",
    "backups",
    "billing",
    "calendars",
    "caller_ids",
    "cases",
    "consent",
    "heartbeats",
    "main",
    "maintenance",
    "paging",
    "passwords",
    "people",
    "policy",
    "schedules",
    "simulate",
    "trust",
    "webhooks",
    "where",
]


def main() -> None:
    app()
