"""Anomaly detection: patterns of robocalling and quota evasion, filed as trust and safety
cases (docs/anomalies.md). One module per detector; `scan.run_scan` runs them all."""

from tocsin.trust.anomalies.findings import Finding
from tocsin.trust.anomalies.scan import SCAN_ACTOR, FiledCase, ScanReport, run_scan
from tocsin.trust.anomalies.thresholds import DEFAULT_THRESHOLDS, Thresholds

__all__ = [
    "DEFAULT_THRESHOLDS",
    "SCAN_ACTOR",
    "FiledCase",
    "Finding",
    "ScanReport",
    "Thresholds",
    "run_scan",
]
