"""Plans as data: a catalogue read from TOML, and which plan an organization is on right now.

The catalogue ships inside the package (`plans.toml`) and can be replaced whole with
TOCSIN_PLANS_FILE. Every cap is required, so a plan file cannot silently leave one off.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from tocsin.core.errors import InvalidInput, NotFound

FREE = "free"
TRIAL = "trial"


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    # Calls an organization may place per calendar month and per day, in its own time zone.
    monthly_calls: int
    daily_calls: int
    # Estimated telephony spend per month, in cents, at TOCSIN_CALL_COST_CENTS a call.
    monthly_spend_cents: int
    endpoints: int
    contacts: int
    members: int
    audit_retention_days: int
    international_calling: bool
    paid: bool = False
    # Non-zero for the plan a free trial puts an organization on.
    trial_days: int = 0
    # How many organizations a person who owns one on this plan may own in all (the most any
    # of their organizations' plans allows); 0 leaves it to TOCSIN_MAX_ORGS_PER_USER.
    organizations: int = 0
    # Verification codes the organization may send in any 24 hours: each one calls or texts
    # someone who has not consented yet (contacts/code_sends.py). Optional in a plan file.
    verification_codes_per_day: int = 20

    def describe(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


_OPTIONAL = ("code", "paid", "trial_days", "organizations", "verification_codes_per_day")
_REQUIRED = tuple(field.name for field in fields(Plan) if field.name not in _OPTIONAL)


class PlanCatalog(Mapping[str, Plan]):
    def __init__(self, plans: Mapping[str, Plan]) -> None:
        if not plans:
            raise InvalidInput("the plan catalogue has no plans", code="invalid_plans")
        self._plans = dict(plans)

    def __getitem__(self, code: str) -> Plan:
        return self._plans[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._plans)

    def __len__(self) -> int:
        return len(self._plans)

    def get_plan(self, code: str) -> Plan:
        plan = self._plans.get(code)
        if plan is None:
            known = ", ".join(sorted(self._plans))
            raise NotFound(f"no plan {code!r}; plans: {known}", code="plan_not_found")
        return plan

    def trial_plan(self) -> Plan | None:
        return next((plan for plan in self._plans.values() if plan.trial_days > 0), None)

    @classmethod
    def parse(cls, text: str, *, source: str) -> PlanCatalog:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{source}: {exc}", code="invalid_plans") from exc
        entries = document.get("plans")
        if not isinstance(entries, dict):
            raise InvalidInput(f"{source}: needs a [plans.<code>] table", code="invalid_plans")
        return cls({code: _plan(code, entry, source) for code, entry in entries.items()})

    @classmethod
    def load(cls, path: Path | None = None) -> PlanCatalog:
        if path is None:
            text = resources.files("tocsin.billing").joinpath("plans.toml").read_text("utf-8")
            return cls.parse(text, source="plans.toml")
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}", code="invalid_plans") from exc
        return cls.parse(text, source=str(path))


def _plan(code: str, entry: Any, source: str) -> Plan:
    if not isinstance(entry, dict):
        raise InvalidInput(f"{source}: plans.{code} must be a table", code="invalid_plans")
    missing = [name for name in _REQUIRED if name not in entry]
    unknown = sorted(set(entry) - {field.name for field in fields(Plan)})
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise InvalidInput(f"{source}: plans.{code}: {problem}", code="invalid_plans")
    for name in _REQUIRED:
        value = entry[name]
        if name == "name":
            valid, kind = isinstance(value, str) and bool(value.strip()), "non-empty string"
        elif name == "international_calling":
            valid, kind = isinstance(value, bool), "boolean"
        else:
            valid = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            kind = "non-negative integer"
        if not valid:
            raise InvalidInput(
                f"{source}: plans.{code}.{name} must be a {kind}", code="invalid_plans"
            )
    for name in ("trial_days", "organizations", "verification_codes_per_day"):
        value = entry.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(
                f"{source}: plans.{code}.{name} must be a non-negative integer",
                code="invalid_plans",
            )
    return Plan(code=code, **entry)


def effective_plan_code(
    *, plan: str, plan_ends_at: datetime | None, fallback: str, now: datetime
) -> str:
    """The plan in force: a trial or a cancelled subscription ends at its time even before any
    webhook says so, and the organization is then on the fallback plan."""
    if plan_ends_at is not None and now >= plan_ends_at:
        return fallback
    return plan
