"""What `audit` and `scan URL` share: run an audit with a bar over its repositories,
then report it like a scan and choose the exit code."""

from __future__ import annotations

from pathlib import Path

import typer

from pgsweep.cli import fail, say
from pgsweep.cli._reporting import Display, decisions, exit_for
from pgsweep.cli.progress import repository_progress
from pgsweep.core.models import Severity
from pgsweep.core.times import utc_now
from pgsweep.fleet.audit import AuditRequest, run_audit
from pgsweep.fleet.interface import Executor, RepoResult
from pgsweep.jobs.report import build_report
from pgsweep.reporters.interface import Format
from pgsweep.reporters.output import write_report
from pgsweep.store import Store


def audit_and_report(
    request: AuditRequest,
    executor: Executor,
    store: Store | None,
    *,
    progress: bool,
    fmt: Format,
    output: Path | None,
    reveal: bool,
    threshold: Severity,
    display: Display,
    allow_incomplete: bool,
    per_repository: bool = True,
) -> typer.Exit:
    """Audit (the store closed after), print the skips, build the plan once and write the
    report; the exit as `scan` chooses it. Without `per_repository` (`scan URL`) a
    repository that could not be read, with nothing recorded for it, is the failure of the
    run: one error line, exit 2."""
    try:
        with repository_progress(progress) as bar:
            found = [0]

            def on_result(res: RepoResult, done: int, total: int) -> None:
                found[0] += len(res.findings)
                if bar is not None:
                    bar(done, total, found[0])

            outcome = run_audit(request, executor, store, on_result=on_result)
        triage, verifications = decisions(store)
    finally:
        if store is not None:
            store.close()
    failed = [r for r in outcome.repositories if r.error is not None]
    if (not per_repository and failed and len(failed) == len(outcome.repositories)
            and not outcome.result.findings):
        # `scan URL`: its one repository could not be read and the store knows nothing of
        # it, so there is no result at all (what an earlier scan recorded is reported)
        raise fail(f"{failed[0].repository}: {failed[0].error}")
    for notice in dict.fromkeys(outcome.result.stats.notices):
        say(f"pgsweep: warning: {notice}", err=True)
    report = build_report(
        outcome.result, now=utc_now(), scanned=tuple(r.repository for r in outcome.repositories),
        triage=triage, verifications=verifications, reveal=reveal,
        repositories=outcome.repositories if per_repository else (),
        show_info=display.show_info, verbosity=display.verbosity, color=display.color,
        stored=store is not None,
    )
    write_report(report, fmt, output)
    return exit_for(report, threshold, allow_incomplete)
