"""The screen gives every recorded input the verdict and reasons it gave when recorded
(tests/safety/recorded.py says how the file is made and when to remake it)."""

from __future__ import annotations

from tests.safety.recorded import cases, judged, load_recorded


def test_every_recorded_verdict_and_reason_is_unchanged() -> None:
    recorded = load_recorded()
    unrecorded = [case for case in cases() if case.key() not in recorded]
    assert unrecorded == [], "new corpus rows: run python -m tests.safety.recorded"
    changed = [
        (recorded[case.key()], now)
        for case in cases()
        if (now := judged(case)) != recorded[case.key()]
    ]
    assert changed == [], f"{len(changed)} verdicts changed, the first: {changed[:3]}"


def test_the_recording_covers_the_corpus_under_every_context() -> None:
    recorded = load_recorded()
    assert len(recorded) >= 5000
    assert {entry["context"] for entry in recorded.values()} >= {"platform", "us_domestic"}
    assert {code for entry in recorded.values() for code, _ in entry["reasons"]} >= {
        "international_disabled",
        "country_not_allowed",
        "sanctioned",
        "emergency",
    }
