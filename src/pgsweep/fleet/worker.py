"""Run one audit task where an executor placed it: mirror a remote repository, scan it
(incrementally past remembered tips), and seal every secret before the result leaves."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import Finding, GitProvenance
from pgsweep.core.options import ScanOptions
from pgsweep.detectors import signatures as signatures_mod
from pgsweep.findings.fingerprint import finding_id
from pgsweep.findings.pipeline import Scanner
from pgsweep.fleet.interface import AuditTask, RepoResult
from pgsweep.jobs.scan import current_tips
from pgsweep.remote import urls
from pgsweep.remote.mirror import cache_root, mirror
from pgsweep.sources import select
from pgsweep.sources.git_tips import blobs_at, default_tip, present_commits
from pgsweep.store.sealed import SealedSecret, seal


@lru_cache(maxsize=4)
def _scanner(extra_signatures: tuple[Path, ...], use_hyperscan: bool) -> Scanner:
    """One compiled scanner per worker process and signature set."""
    return Scanner(signatures_mod.load(extra_signatures), use_hyperscan=use_hyperscan)


def run_task(task: AuditTask) -> RepoResult:
    """The result of `task`; any failure is a result with `error` (one line, no secret)."""
    secrets: tuple[str, ...] = ()
    try:
        if task.remote:
            url = urls.parse(task.source)
            secrets = url.secrets
            cache = Path(task.cache_dir) if task.cache_dir else cache_root()
            path = mirror(url, cache, timeout=task.git_timeout)
        else:
            path = Path(task.source)
            if not path.is_dir() or not select.is_git_repository(path):
                raise PgsweepError(f"{task.repository}: not a git repository")
        return _scan(task, path)
    except PgsweepError as exc:
        why = str(exc)
    except OSError as exc:
        why = f"{task.repository}: {exc.strerror or type(exc).__name__}"
    except Exception as exc:  # noqa: BLE001 -- a bug must not end the audit of the other repositories
        why = f"{task.repository}: internal error ({type(exc).__name__})"
    return RepoResult(index=task.index, repository=task.repository,
                      error=urls.scrub(why, secrets))


def _scan(task: AuditTask, path: Path) -> RepoResult:
    s = task.settings
    present = present_commits(path, task.remembered) if task.remembered else ()
    opts = ScanOptions(
        path=str(path), max_blob_size=s.max_blob_size, excludes=s.excludes,
        extra_signatures=s.extra_signatures, use_hyperscan=s.use_hyperscan, jobs=s.jobs,
        exclude_tips=present,
    )
    source = select.open_source(opts)
    tips = current_tips(source, path)
    if present and set(tips) <= set(present):
        return RepoResult(index=task.index, repository=task.repository, tips=tips,
                          incremental=True)
    result = _scanner(s.extra_signatures, s.use_hyperscan).run(source, jobs=s.jobs)
    findings, sealed = seal_findings(result.findings, task)
    at_tip: tuple[str, ...] = ()
    if present and task.watch_blobs:
        tip = default_tip(path)
        now = blobs_at(path, tip) if tip else set()
        at_tip = tuple(b for b in task.watch_blobs if b in now)
    stats = result.stats
    if task.remote:  # messages name the repository, not its mirror in the cache
        for texts in (stats.warnings, stats.notices, stats.incomplete):
            texts[:] = [t.replace(str(path), task.repository) for t in texts]
    return RepoResult(
        index=task.index, repository=task.repository, findings=findings, sealed=sealed,
        stats=stats, tips=None if stats.incomplete else tips, blobs_at_tip=at_tip,
        incremental=bool(present),
    )


def seal_findings(
    findings: tuple[Finding, ...], task: AuditTask
) -> tuple[tuple[Finding, ...], tuple[SealedSecret, ...]]:
    """`findings` without their secrets (and with a parameter equal to one blanked), each
    placed in `task.repository`; and each credential's secret sealed once."""
    sealed: dict[str, SealedSecret] = {}
    out = []
    for f in findings:
        if f.credential not in sealed:
            sealed[f.credential] = seal(task.key, f.credential, f.secret, keep=task.keep_secrets)
        out.append(in_repository(f, task.repository))
    return tuple(out), tuple(sealed.values())


def in_repository(f: Finding, repository: str) -> Finding:
    """`f` named after `repository`: its git provenance's `repo`, and an id of its own, so
    the same blob in two repositories is two places of the credential."""
    prov = f.provenance
    if isinstance(prov, GitProvenance):
        prov = dataclasses.replace(prov, repo=repository)
    params = tuple((k, "" if f.secret and v == f.secret else v) for k, v in f.params)
    return dataclasses.replace(
        f, id=finding_id(f.credential, f.rule, f"{repository}\x1f{f.id}", f.line),
        provenance=prov, secret="", params=params,
    )
