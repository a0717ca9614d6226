"""`pgsweep audit`: many repositories (paths and URLs) in one run, into one store."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from pgsweep.cli import app, fail, say
from pgsweep.cli._auditing import audit_and_report
from pgsweep.cli._reporting import (
    FormatOption,
    NoColorOption,
    OutputOption,
    QuietOption,
    RevealOption,
    ShowInfoOption,
    VerboseOption,
    display_options,
)
from pgsweep.core.models import Severity
from pgsweep.core.options import DEFAULT_MAX_BLOB_SIZE
from pgsweep.fleet.audit import AuditRequest
from pgsweep.fleet.dask_cluster import DaskExecutor
from pgsweep.fleet.forge_query import ForgeQuery, forge_entries
from pgsweep.fleet.interface import ScanSettings
from pgsweep.fleet.local import LocalExecutor
from pgsweep.fleet.repos_file import read_repos_file
from pgsweep.jobs.scan import open_scan_store
from pgsweep.remote.api import DEFAULT_MAX_WAIT
from pgsweep.remote.forges import Filters
from pgsweep.reporters.interface import Format
from pgsweep.reporters.outfiles import prepare_output


class ExecutorKind(StrEnum):
    """Where an audit's tasks run."""

    LOCAL = "local"
    DASK = "dask"


@app.command()
def audit(
    repos: Path | None = typer.Option(
        None, "--repos", help="File of repositories: a URL or path a line, # comments "
        "(- reads standard input; relative paths are taken from the file's folder)."),
    fmt: FormatOption = Format.TERMINAL,
    output: OutputOption = None,
    reveal: RevealOption = False,
    show_info: ShowInfoOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_color: NoColorOption = False,
    fail_on: str = typer.Option("low", "--fail-on", help="Exit 1 at or above this severity."),
    max_blob_size: int = typer.Option(DEFAULT_MAX_BLOB_SIZE, "--max-blob-size", help="Bytes."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of paths to skip (repeatable)."),
    extra_signatures: list[Path] = typer.Option([], "--signatures", help="Extra signature folder."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress"),
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, help="Repositories scanned at once (0: one per core)."),
    executor: ExecutorKind = typer.Option(
        ExecutorKind.LOCAL, "--executor", help="Where repositories are scanned: local worker "
        "processes, or a Dask cluster (the cluster extra)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", metavar="tcp://HOST:PORT", help="With --executor dask: the "
        "cluster's scheduler (default: a local cluster of --jobs worker processes)."),
    store_path: str | None = typer.Option(
        None, "--store", help="Findings store to record into: a file or a postgresql:// URL "
        "(default: a file in the user data dir)."),
    no_store: bool = typer.Option(False, "--no-store", help="Record nothing; a cold audit."),
    no_store_secrets: bool = typer.Option(
        False, "--no-store-secrets", help="Store keyed hashes only, not encrypted secrets."),
    allow_incomplete: bool = typer.Option(
        False, "--allow-incomplete", help="Exit 0, not 2, when no finding fails the audit but "
        "a repository (or part of one) could not be read."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Where mirrors of remote repositories are kept (default: "
        "$PGSWEEP_CACHE_DIR, else the user cache dir)."),
    github_org: list[str] = typer.Option(
        [], "--github-org", help="Every repository of this GitHub organisation (GITHUB_TOKEN)."),
    github_user: list[str] = typer.Option(
        [], "--github-user", help="Every repository this GitHub user owns (GITHUB_TOKEN)."),
    gitlab_group: list[str] = typer.Option(
        [], "--gitlab-group", help="Every project of this GitLab group and its subgroups "
        "(GITLAB_TOKEN)."),
    api_url: str | None = typer.Option(
        None, "--api-url", help="GitHub Enterprise API (https://HOST/api/v3) or self-managed "
        "GitLab (https://HOST)."),
    skip_forks: bool = typer.Option(False, "--skip-forks", help="Leave listed forks out."),
    skip_archived: bool = typer.Option(
        False, "--skip-archived", help="Leave listed archived repositories out."),
    match: list[str] = typer.Option(
        [], "--match", help="Only listed repositories whose full name (or last part) matches "
        "this glob (repeatable)."),
    max_rate_wait: float = typer.Option(
        DEFAULT_MAX_WAIT, "--max-rate-wait", min=0,
        help="Longest wait for a forge's rate limit, in seconds; a longer one is an error."),
) -> None:
    """Audit many repositories at once: one credential per secret across all of them."""
    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        raise fail(str(exc)) from None
    forges = ForgeQuery(
        github_orgs=tuple(github_org), github_users=tuple(github_user),
        gitlab_groups=tuple(gitlab_group), api_url=api_url,
        filters=Filters(skip_forks=skip_forks, skip_archived=skip_archived, match=tuple(match)),
        max_wait=max_rate_wait)
    if repos is None and not forges.any:
        raise fail("nothing to audit: give --repos FILE, --github-org, --github-user or "
                   "--gitlab-group")
    if scheduler is not None and executor is not ExecutorKind.DASK:
        raise fail("--scheduler names a Dask cluster: add --executor dask")
    if reveal and no_store_secrets and not no_store:
        raise fail("--reveal needs the secrets: drop --no-store-secrets")
    prepare_output(output)
    entries = read_repos_file(repos) if repos is not None else []
    listed = forge_entries(forges, lambda line: say(f"pgsweep: {line}", err=True))
    entries += listed
    if not entries:
        raise fail("no repository to audit" + (" (the listings matched none)" if forges.any
                                               else f": {repos} lists none"))
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
    raise audit_and_report(
        request,
        DaskExecutor(jobs, scheduler) if executor is ExecutorKind.DASK else LocalExecutor(jobs),
        store,
        progress=sys.stderr.isatty() if progress is None else progress,
        fmt=fmt, output=output, reveal=reveal, threshold=threshold,
        display=display_options(show_info, quiet, verbose, no_color),
        allow_incomplete=allow_incomplete,
    )
