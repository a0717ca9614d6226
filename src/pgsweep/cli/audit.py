"""`pgsweep audit`: many repositories (paths and URLs) in one run, into one store."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from pgsweep.cli import _options as opt
from pgsweep.cli import app, fail, say
from pgsweep.cli._auditing import audit_and_report
from pgsweep.cli._reporting import display_options
from pgsweep.core.options import DEFAULT_MAX_BLOB_SIZE
from pgsweep.fleet.audit import AuditRequest
from pgsweep.fleet.dask_cluster import DaskExecutor
from pgsweep.fleet.forge_query import ForgeQuery, forge_entries
from pgsweep.fleet.interface import ScanSettings
from pgsweep.fleet.local import LocalExecutor
from pgsweep.fleet.repos_file import read_repos_file
from pgsweep.remote.api import DEFAULT_MAX_WAIT
from pgsweep.remote.forges import Filters
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
    fmt: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    reveal: opt.RevealOpt = False,
    show_info: opt.ShowInfoOpt = False,
    quiet: opt.QuietOpt = False,
    verbose: opt.VerboseOpt = False,
    no_color: opt.NoColorOpt = False,
    fail_on: opt.FailOnOpt = "low",
    max_blob_size: opt.MaxBlobSizeOpt = DEFAULT_MAX_BLOB_SIZE,
    exclude: list[str] = typer.Option([], "--exclude", metavar="PATTERN",
        help="Skip paths matching a gitignore pattern (repeatable)."),
    extra_signatures: opt.SignaturesOpt = [],  # noqa: B006 (typer copies it)
    progress: opt.ProgressOpt = None,
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, help="Repositories scanned at once (0: one per core)."),
    executor: ExecutorKind = typer.Option(
        ExecutorKind.LOCAL, "--executor", help="Where repositories are scanned: local worker "
        "processes, or a Dask cluster (the cluster extra)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", metavar="tcp://HOST:PORT", help="With --executor dask: the "
        "cluster's scheduler (default: a local cluster of --jobs worker processes)."),
    store_path: str | None = typer.Option(None, "--store", metavar="PATH|URL",
        help=opt.DEFAULT_STORE_HELP),
    no_store: bool = typer.Option(False, "--no-store", help="Record nothing; a cold audit."),
    no_store_secrets: opt.NoStoreSecretsOpt = False,
    allow_incomplete: bool = typer.Option(
        False, "--allow-incomplete", help="Exit 0, not 2, when no finding fails the audit but "
        "a repository (or part of one) could not be read."),
    cache_dir: opt.CacheDirOpt = None,
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
    threshold = opt.threshold_of(fail_on)
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
    opt.check_reveal(reveal, no_store=no_store, no_store_secrets=no_store_secrets)
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
    store = opt.open_store(store_path, no_store=no_store, no_store_secrets=no_store_secrets)
    raise audit_and_report(
        request,
        DaskExecutor(jobs, scheduler) if executor is ExecutorKind.DASK else LocalExecutor(jobs),
        store,
        progress=opt.shows_progress(progress),
        fmt=opt.chosen_format(fmt, output), output=output, reveal=reveal, threshold=threshold,
        display=display_options(show_info, quiet, verbose, no_color),
        allow_incomplete=allow_incomplete,
    )
