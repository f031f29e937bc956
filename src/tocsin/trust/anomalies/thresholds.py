"""Where each anomaly detector starts to care, in one table (docs/anomalies.md says why).

A detector files a case for staff to review above its threshold; above its hard threshold (a
volume no paging setup reaches) the scan may also suspend the organization. A hard threshold
of None means the detector never suspends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Thresholds:
    # Every per-organization detector looks at this much recent traffic.
    window: timedelta = timedelta(hours=24)
    # How many numbers, texts or organizations a case quotes as evidence.
    samples: int = 10

    # distinct_numbers: at least `floor` distinct numbers in the window, and more than `ratio`
    # times the organization's daily average over the `history_days` before it.
    distinct_numbers_floor: int = 25
    distinct_numbers_ratio: float = 4.0
    distinct_numbers_history_days: int = 7
    distinct_numbers_hard: int | None = 200

    # verification_codes: consent codes to this many distinct numbers in the window.
    verification_numbers: int = 10
    verification_numbers_hard: int | None = 50

    # broadcast: one text (digits aside) read to this many distinct numbers.
    broadcast_numbers: int = 15
    broadcast_hard: int | None = 100

    # long_messages: texts longer than `characters` read to this many distinct numbers.
    long_message_characters: int = 400
    long_message_numbers: int = 10
    long_message_hard: int | None = 100

    # marketing: a text whose distinct phrases weigh this much (marketing_phrases.py: a
    # common word weighs 1, a phrase only a person is told 2); the hard threshold counts the
    # distinct numbers that heard such texts.
    marketing_score: int = 2
    marketing_hard: int | None = 50

    # shared_numbers: one number called by this many organizations within `days`.
    shared_number_orgs: int = 3
    shared_number_days: int = 7

    # repeated_trials: refused trials of this many organizations, pointing at one person or
    # payment instrument, within `days`.
    trial_refusal_orgs: int = 2
    trial_refusal_days: int = 30

    # blocked_numbers: this many attempts in the window to add numbers refused for a reason
    # only bypass explains (emergency, premium rate, sanctioned...). Never suspends: the
    # numbers were refused already, and a person should read who tried and why.
    blocked_number_attempts: int = 3

    # After staff lift a suspension the scan made, it does not suspend that organization
    # again for this long: a person looked and decided.
    respect_lift: timedelta = timedelta(days=7)


DEFAULT_THRESHOLDS = Thresholds()
