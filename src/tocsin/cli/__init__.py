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
    endpoints,
    heartbeats,
    maintenance,
    organizations,
    paging,
    passwords,
    people,
    policy,
    providers,
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
    "endpoints",
    "heartbeats",
    "main",
    "maintenance",
    "organizations",
    "paging",
    "passwords",
    "people",
    "policy",
    "providers",
    "schedules",
    "simulate",
    "trust",
    "webhooks",
    "where",
]


def main() -> None:
    app()
