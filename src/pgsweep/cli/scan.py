"""`pgsweep scan PATH`: scan a repository, folder, file, archive or stdin."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import typer

from pgsweep.cli import _options as opt
from pgsweep.cli import app, fail, say
from pgsweep.cli._auditing import audit_and_report
from pgsweep.cli._reporting import display_options, run_and_report
from pgsweep.core import config as config_mod
from pgsweep.core.models import Severity
from pgsweep.core.options import DEFAULT_MAX_BLOB_SIZE, ScanOptions, effective_jobs
from pgsweep.findings import baseline as baseline_mod
from pgsweep.fleet.audit import AuditRequest
from pgsweep.fleet.interface import ScanSettings
from pgsweep.fleet.local import LocalExecutor
from pgsweep.jobs.scan import load_config
from pgsweep.remote import urls
from pgsweep.reporters.outfiles import prepare_output


@app.command()
def scan(
    path: str = typer.Argument(
        ".", metavar="PATH",
        help="Git repository (a path or a URL), folder, file, archive, or - for stdin."),
    fmt: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    reveal: opt.RevealOpt = False,
    show_info: opt.ShowInfoOpt = False,
    quiet: opt.QuietOpt = False,
    verbose: opt.VerboseOpt = False,
    no_color: opt.NoColorOpt = False,
    all_versions: bool = typer.Option(
        False, "--all-versions",
        help="JSON, JSONL: also list every version of each finding's file that held it.",
    ),
    fail_on: str | None = typer.Option(
        None, "--fail-on", metavar="SEVERITY",
        help=f"{opt.FAIL_ON_HELP} (default: fail_on in pgsweep.toml, else low).",
    ),
    unreachable: bool = typer.Option(
        False, "--unreachable", help="Git: also dangling commits and blobs no ref holds."),
    worktree: bool = typer.Option(
        False, "--worktree", help="Git: also uncommitted and untracked (not ignored) files."),
    max_blob_size: opt.MaxBlobSizeOpt = DEFAULT_MAX_BLOB_SIZE,
    exclude: list[str] = typer.Option(
        [], "--exclude", metavar="PATTERN",
        help="Skip paths matching a gitignore pattern (repeatable).",
    ),
    since: str | None = typer.Option(
        None, "--since", metavar="REV", help="Git: only commits not reachable from REV."),
    commit_range: str | None = typer.Option(
        None, "--commit-range", metavar="A..B", help="Git: only the commits in A..B."),
    staged: bool = typer.Option(
        False, "--staged", help="Git: only the index's changes against HEAD (pre-commit)."),
    extra_signatures: opt.SignaturesOpt = [],  # noqa: B006 (typer copies it)
    progress: opt.ProgressOpt = None,
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, help="Worker processes for large histories (0: one per core)."
    ),
    store_path: str | None = typer.Option(
        None, "--store", metavar="PATH|URL", help=opt.DEFAULT_STORE_HELP),
    no_store: bool = typer.Option(False, "--no-store", help="Record nothing; a cold scan."),
    allow_incomplete: opt.AllowIncompleteOpt = False,
    no_store_secrets: opt.NoStoreSecretsOpt = False,
    config: Path | None = typer.Option(
        None, "--config", metavar="FILE",
        help="pgsweep.toml or pyproject.toml (default: found at PATH).",
    ),
    baseline: list[Path] = typer.Option(
        [], "--baseline", metavar="FILE",
        help="Drop findings known to a pgsweep baseline, .secrets.baseline or .gitleaksignore "
        "(repeatable).",
    ),
    cache_dir: opt.CacheDirOpt = None,
    no_auto_baseline: bool = typer.Option(
        False, "--no-auto-baseline",
        help="Do not use the .secrets.baseline and .gitleaksignore found at PATH.",
    ),
) -> None:
    """Scan PATH and report every leaked PostgreSQL credential once, with every place."""
    if urls.is_remote(path) and not os.path.lexists(path):
        unsupported = {"--since": since, "--commit-range": commit_range, "--staged": staged,
                       "--worktree": worktree, "--unreachable": unreachable,
                       "--baseline": baseline, "--config": config}
        named = [name for name, value in unsupported.items() if value]
        if named:
            raise fail(f"{named[0]} applies to a local path, not to a repository URL")
        opt.check_reveal(reveal, no_store=no_store, no_store_secrets=no_store_secrets)
        threshold = opt.threshold_of(fail_on)
        prepare_output(output)
        request = AuditRequest(
            entries=(path,),
            settings=ScanSettings(max_blob_size=max_blob_size, excludes=tuple(exclude),
                                  extra_signatures=tuple(extra_signatures),
                                  jobs=effective_jobs(jobs)),
            keep_secrets=no_store or not no_store_secrets, cache_dir=cache_dir)
        store = opt.open_store(store_path, no_store=no_store, no_store_secrets=no_store_secrets)
        raise audit_and_report(
            request, LocalExecutor(1), store,
            progress=opt.shows_progress(progress), fmt=opt.chosen_format(fmt, output),
            output=output, reveal=reveal, threshold=threshold,
            display=display_options(show_info, quiet, verbose, no_color),
            allow_incomplete=allow_incomplete, per_repository=False)
    prepare_output(output)
    cfg = load_config(path, config)
    suppressors = _suppressors(path, cfg, baseline, auto=not no_auto_baseline)
    threshold = opt.threshold_of(fail_on, cfg.fail_on or Severity.LOW)
    opts = ScanOptions(
        path=path,
        unreachable=unreachable,
        worktree=worktree,
        max_blob_size=max_blob_size,
        excludes=(*cfg.excludes, *exclude),
        since=since,
        commit_range=commit_range,
        staged=staged,
        extra_signatures=(*extra_signatures, *cfg.signatures),
        fail_on=threshold,
        progress=opt.shows_progress(progress),
        jobs=jobs,
    )
    store = opt.open_store(store_path, no_store=no_store, no_store_secrets=no_store_secrets)
    raise run_and_report(
        opts, store, fmt=opt.chosen_format(fmt, output), output=output, reveal=reveal,
        threshold=threshold,
        display=display_options(show_info, quiet, verbose, no_color),
        versions=all_versions,
        allow_incomplete=allow_incomplete,
        refine=lambda result: baseline_mod.apply(
            result, suppressors, config_mod.scan_root(path)
        ),
    )


def _suppressors(
    path: str, cfg: config_mod.ScanConfig, given: Sequence[Path], *, auto: bool
) -> list[baseline_mod.Suppressor]:
    """The config's allowlists, the baselines named on the command line and in the config,
    and (unless `auto` is off) a .secrets.baseline and .gitleaksignore at a scanned folder's
    root. One of those that cannot be read is a warning, not an error: it was not asked for."""
    named = (*given, *cfg.baselines)
    out: list[baseline_mod.Suppressor] = [*cfg.suppressors(), *map(baseline_mod.load_any, named)]
    if auto and path != "-" and Path(path).is_dir():
        for found in baseline_mod.auto_baselines(Path(path), named):
            try:
                out.append(baseline_mod.load_any(found))
            except baseline_mod.BaselineError as exc:
                say(f"pgsweep: warning: not using {exc} (--no-auto-baseline skips it)", err=True)
    return out
