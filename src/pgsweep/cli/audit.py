"""`pgsweep audit`: many repositories (paths and URLs) in one run, into one store."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from pgsweep.assess.risk import utc_now
from pgsweep.cli import app, fail, say
from pgsweep.cli._reporting import DISPLAY_HELP, display_options, exit_for
from pgsweep.cli.progress import repository_progress
from pgsweep.core.models import Severity
from pgsweep.core.options import DEFAULT_MAX_BLOB_SIZE
from pgsweep.fleet.audit import AuditRequest, run_audit
from pgsweep.fleet.interface import RepoResult, ScanSettings
from pgsweep.fleet.local import LocalExecutor
from pgsweep.fleet.repos_file import read_repos_file
from pgsweep.jobs.report import build_report
from pgsweep.jobs.scan import open_scan_store
from pgsweep.reporters.interface import Format
from pgsweep.reporters.outfiles import prepare_output
from pgsweep.reporters.output import write_report
from pgsweep.store import TriageState, VerificationRecord


@app.command()
def audit(
    repos: Path | None = typer.Option(
        None, "--repos", help="File of repositories: a URL or path a line, # comments "
        "(- reads standard input; relative paths are taken from the file's folder)."),
    fmt: Format = typer.Option(Format.TERMINAL, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    reveal: bool = typer.Option(False, "--reveal", help="Show plaintext secrets in the output."),
    show_info: bool = typer.Option(False, "--show-info", help=DISPLAY_HELP["show_info"]),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=DISPLAY_HELP["quiet"]),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=DISPLAY_HELP["verbose"]),
    no_color: bool = typer.Option(False, "--no-color", help=DISPLAY_HELP["no_color"]),
    fail_on: str = typer.Option("low", "--fail-on", help="Exit 1 at or above this severity."),
    max_blob_size: int = typer.Option(DEFAULT_MAX_BLOB_SIZE, "--max-blob-size", help="Bytes."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of paths to skip (repeatable)."),
    extra_signatures: list[Path] = typer.Option([], "--signatures", help="Extra signature folder."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress"),
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, help="Repositories scanned at once (0: one per core)."),
    store_path: Path | None = typer.Option(
        None, "--store", help="Findings store to record into (default: in the user data dir)."),
    no_store: bool = typer.Option(False, "--no-store", help="Record nothing; a cold audit."),
    no_store_secrets: bool = typer.Option(
        False, "--no-store-secrets", help="Store keyed hashes only, not encrypted secrets."),
    allow_incomplete: bool = typer.Option(
        False, "--allow-incomplete", help="Exit 0, not 2, when no finding fails the audit but "
        "a repository (or part of one) could not be read."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Where mirrors of remote repositories are kept (default: "
        "$PGSWEEP_CACHE_DIR, else the user cache dir)."),
) -> None:
    """Audit many repositories at once: one credential per secret across all of them."""
    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if repos is None:
        raise fail("nothing to audit: give --repos FILE")
    if reveal and no_store_secrets and not no_store:
        raise fail("--reveal needs the secrets: drop --no-store-secrets")
    prepare_output(output)
    entries = read_repos_file(repos)
    if not entries:
        raise fail(f"{repos}: lists no repository")
    request = AuditRequest(
        entries=tuple(entries),
        settings=ScanSettings(max_blob_size=max_blob_size, excludes=tuple(exclude),
                              extra_signatures=tuple(extra_signatures)),
        keep_secrets=no_store or not no_store_secrets,
        cache_dir=cache_dir,
    )
    store, warning = open_scan_store(
        store_path, enabled=not no_store, store_secrets=not no_store_secrets)
    if warning:
        say(f"pgsweep: warning: {warning}", err=True)
    show = sys.stderr.isatty() if progress is None else progress
    triage: dict[str, TriageState] = {}
    verifications: dict[str, list[VerificationRecord]] = {}
    try:
        with repository_progress(show) as bar:
            found = [0]

            def on_result(res: RepoResult, done: int, total: int) -> None:
                found[0] += len(res.findings)
                if bar is not None:
                    bar(done, total, found[0])

            outcome = run_audit(request, LocalExecutor(jobs), store, on_result=on_result)
        if store is not None:
            triage = dict(store.triage_states())
            verifications = dict(store.verifications())
    finally:
        if store is not None:
            store.close()
    for notice in dict.fromkeys(outcome.result.stats.notices):
        say(f"pgsweep: warning: {notice}", err=True)
    display = display_options(show_info, quiet, verbose, no_color)
    report = build_report(
        outcome.result, now=utc_now(), scanned=tuple(r.repository for r in outcome.repositories),
        triage=triage, verifications=verifications, reveal=reveal,
        repositories=outcome.repositories, show_info=display.show_info,
        verbosity=display.verbosity, color=display.color,
    )
    write_report(report, fmt, output)
    raise exit_for(report, threshold, allow_incomplete)
