"""What `scan` and `sweep` share after gathering options: run, report, choose the exit code."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import typer

from pgsweep.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, say
from pgsweep.cli.progress import progress_reporter
from pgsweep.core.models import Finding, Severity, UserSummary
from pgsweep.core.options import ScanOptions
from pgsweep.core.times import utc_now
from pgsweep.findings.pipeline import ScanResult
from pgsweep.jobs.report import build_report
from pgsweep.jobs.scan import SourceOpener, run_scan
from pgsweep.reporters.interface import Format, Report, Verbosity
from pgsweep.reporters.output import write_report
from pgsweep.sources import select
from pgsweep.store import Store, TriageState, VerificationRecord, repo_key_for


@dataclass(frozen=True)
class Display:
    """The terminal report's options, shared by `scan` and `sweep`."""

    show_info: bool = False
    verbosity: Verbosity = Verbosity.NORMAL
    color: bool | None = None


def display_options(show_info: bool, quiet: bool, verbose: bool, no_color: bool) -> Display:
    """`--no-color` and a non-empty NO_COLOR turn colours off; -q wins over -v."""
    verbosity = (Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose
                 else Verbosity.NORMAL)
    plain = no_color or bool(os.environ.get("NO_COLOR"))
    return Display(show_info=show_info, verbosity=verbosity, color=False if plain else None)


def decisions(
    store: Store | None,
) -> tuple[dict[str, TriageState], dict[str, list[VerificationRecord]]]:
    """The store's triage states and verifications, for the plan (none without a store)."""
    if store is None:
        return {}, {}
    return dict(store.triage_states()), dict(store.verifications())


def run_and_report(
    opts: ScanOptions,
    store: Store | None,
    *,
    fmt: Format,
    output: Path | None,
    reveal: bool,
    threshold: Severity,
    allow_incomplete: bool = False,
    open_source: SourceOpener = select.open_source,
    refine: Callable[[ScanResult], ScanResult] = lambda result: result,
    users: Callable[[Sequence[Finding]], tuple[UserSummary, ...]] = lambda findings: (),
    versions: bool = False,
    display: Display | None = None,
    status: Callable[[], str] | None = None,
) -> typer.Exit:
    """Scan (the store closed after), `refine` the result, print its notices, build the
    plan once (with the store's triage and verifications), write the report, and return the
    exit: a credential still to rotate at or above `threshold` (1); else, when the scan
    could not read everything and `allow_incomplete` is off, an error (2); else clean (0)."""
    try:
        with progress_reporter(opts.progress, status) as on_progress:
            result = run_scan(opts, store, progress=on_progress, open_source=open_source)
        triage, verifications = decisions(store)
    finally:
        if store is not None:
            store.close()
    result = refine(result)
    for notice in dict.fromkeys(result.stats.notices):
        say(f"pgsweep: warning: {notice}", err=True)
    report = build_report(
        result, now=utc_now(), scanned=(repo_key_for(opts.path),), triage=triage,
        verifications=verifications, reveal=reveal, users=users(result.findings),
        versions=versions,
        show_info=(display or Display()).show_info,
        verbosity=(display or Display()).verbosity,
        color=(display or Display()).color,
        stored=store is not None,
    )
    write_report(report, fmt, output)
    return exit_for(report, threshold, allow_incomplete)


def exit_for(report: Report, threshold: Severity, allow_incomplete: bool) -> typer.Exit:
    """A credential still to rotate at or above `threshold`: 1; else an incomplete scan:
    2 (a warning and 0 with `allow_incomplete`); else 0."""
    worst = report.plan.worst()
    if worst is not None and worst >= threshold:
        return typer.Exit(EXIT_FINDINGS)
    incomplete = report.stats.incomplete
    if incomplete:
        more = f" and {len(incomplete) - 1} more" if len(incomplete) > 1 else ""
        what = f"the scan is incomplete ({incomplete[0]}{more})"
        if allow_incomplete:
            typer.echo(f"pgsweep: warning: {what}; accepted (--allow-incomplete)", err=True)
        else:
            typer.echo(f"pgsweep: error: {what}: its result cannot be called clean "
                       "(--allow-incomplete accepts it)", err=True)
            return typer.Exit(EXIT_ERROR)
    return typer.Exit(EXIT_CLEAN)
