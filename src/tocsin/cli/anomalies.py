"""The anomaly scan from the shell: what the workers run every few minutes, run now."""

from __future__ import annotations

from dataclasses import asdict

import typer

from tocsin.cli.common import JsonOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.trust.anomalies import ScanReport, run_scan

trust_app = group("trust")


def _describe(report: ScanReport) -> str:
    if not report.ran:
        return "another process is scanning; nothing done"
    lines = [
        f"{case.case_id}  {'new' if case.created else 'updated'}  {case.org_id or '-'}  "
        f"{case.summary}" + (f"  SUSPENDED {case.suspension_id}" if case.suspension_id else "")
        for case in report.cases
    ]
    lines.append(
        f"{report.findings} findings, {report.new_cases} new cases, "
        f"{report.suspensions} suspensions"
    )
    return "\n".join(lines)


@trust_app.command("scan")
@friendly_errors
def trust_scan(
    suspend: bool | None = typer.Option(
        None,
        "--suspend/--no-suspend",
        help="Suspend organizations past a hard threshold (default: TOCSIN_ANOMALY_AUTO_SUSPEND).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Look for robocalling and quota evasion now, and file or update a case per finding."""
    runtime = open_runtime()
    auto_suspend = runtime.settings.anomaly_auto_suspend if suspend is None else suspend
    with runtime.database.write() as session:
        report = run_scan(session, now=runtime.clock.now(), auto_suspend=auto_suspend)
    emit(as_json, asdict(report), _describe(report))
