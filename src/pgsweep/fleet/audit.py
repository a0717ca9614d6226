"""Coordinate an audit: one task per repository to an executor, each result recorded into
the store as it arrives, and the report's result built from all of them."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pgsweep.core.models import (
    Finding,
    GitProvenance,
    RepositorySummary,
    ScanStats,
    Skipped,
)
from pgsweep.core.options import ScanOptions
from pgsweep.detectors import signatures as signatures_mod
from pgsweep.findings import credentials as credentials_mod
from pgsweep.findings.pipeline import ScanResult
from pgsweep.fleet.interface import AuditTask, Executor, RepoResult, ScanSettings
from pgsweep.fleet.worker import run_task
from pgsweep.jobs.scan import scan_version
from pgsweep.remote import urls
from pgsweep.remote.errors import RemoteError
from pgsweep.store import Store
from pgsweep.store.keys import StoreKey


@dataclass(frozen=True)
class AuditRequest:
    """What to audit and how: the entries as listed (URLs, absolute paths)."""

    entries: tuple[str, ...]
    settings: ScanSettings
    keep_secrets: bool = True
    cache_dir: Path | None = None
    git_timeout: float = 3600.0


@dataclass(frozen=True)
class AuditOutcome:
    result: ScanResult
    repositories: tuple[RepositorySummary, ...]  # in the order they were listed


OnResult = Callable[[RepoResult, int, int], None]  # a result, how many are done, of how many


def repository_of(entry: str) -> tuple[str, bool]:
    """How reports and the store name `entry`, and whether it is remote."""
    if not urls.is_remote(entry):
        return entry, False
    try:
        return urls.parse(entry).display, True
    except RemoteError:
        return urls.scrub(entry), True


def version_of(settings: ScanSettings) -> str:
    return scan_version(ScanOptions(
        path="", max_blob_size=settings.max_blob_size, excludes=settings.excludes,
        extra_signatures=settings.extra_signatures))


def make_tasks(request: AuditRequest, store: Store | None, key: StoreKey) -> list[AuditTask]:
    """One task per distinct repository, with what the store remembers of it."""
    version = version_of(request.settings)
    tasks: list[AuditTask] = []
    seen: set[str] = set()
    for entry in request.entries:
        repository, remote = repository_of(entry)
        if repository in seen:
            continue
        seen.add(repository)
        remembered: tuple[str, ...] = ()
        watch: tuple[str, ...] = ()
        if store is not None:
            remembered = tuple(store.scanned_tips(repository, version))
            if remembered:
                watch = tuple(sorted({
                    f.provenance.blob for f in store.findings(repository)
                    if isinstance(f.provenance, GitProvenance)
                    and f.provenance.present_at_head is not None}))
        tasks.append(AuditTask(
            index=len(tasks), repository=repository, source=entry, remote=remote,
            settings=request.settings, scan_version=version, key=key,
            keep_secrets=request.keep_secrets, remembered=remembered, watch_blobs=watch,
            cache_dir=str(request.cache_dir) if request.cache_dir else None,
            git_timeout=request.git_timeout,
        ))
    return tasks


def run_audit(
    request: AuditRequest,
    executor: Executor,
    store: Store | None,
    *,
    on_result: OnResult | None = None,
) -> AuditOutcome:
    """Audit every repository of `request`; with a store, record each as it finishes and
    report what the store holds for them (incremental rescans included)."""
    started = time.monotonic()
    key = store.sealing_key() if store is not None else StoreKey.from_master(
        secrets.token_bytes(32), origin="this run")
    tasks = make_tasks(request, store, key)
    if store is not None:
        for task in tasks:
            store.begin_scan(task.repository)
    stats = ScanStats()
    kept: list[Finding] = []
    errors: dict[str, str] = {}
    for done, res in enumerate(executor.run(tasks, run_task), 1):
        if res.error is not None:
            errors[res.repository] = _skip(stats, res)
        else:
            stats.absorb(res.stats)
        if store is not None:
            _record(store, tasks[res.index], res)
        else:
            kept.extend(_unsealed(res, key))
        if on_result is not None:
            on_result(res, done, len(tasks))
    repositories = [t.repository for t in tasks]
    findings = _from_store(store, repositories) if store is not None else kept
    credentials = credentials_mod.group(findings)
    if store is not None:
        redacted = {c.id: c.redacted for c in store.credentials()}
        credentials = [dataclasses.replace(c, redacted=redacted.get(c.id, c.redacted))
                       for c in credentials]
    stats.findings = len(findings)
    stats.seconds = round(time.monotonic() - started, 3)
    return AuditOutcome(
        result=ScanResult(
            findings=tuple(findings), credentials=tuple(credentials), stats=stats,
            signatures=tuple(signatures_mod.load(request.settings.extra_signatures))),
        repositories=summaries(repositories, findings, errors),
    )


def _skip(stats: ScanStats, res: RepoResult) -> str:
    """Count a failed repository as an incomplete skip; returns why it failed."""
    reason = (res.error or "failed").removeprefix(f"{res.repository}: ")
    stats.skip(Skipped(res.repository, reason, warn=True, incomplete=True))
    return reason


def _record(store: Store, task: AuditTask, res: RepoResult) -> None:
    """One repository's result into the store; its remembered tips when it was complete."""
    stats = ScanStats()
    if res.error is not None:
        _skip(stats, res)
    else:
        stats = res.stats
    findings = res.findings + tuple(_moved(store, task, res))
    result = ScanResult(findings=findings, credentials=tuple(credentials_mod.group(findings)),
                        stats=stats)
    store.record_scan(
        result, task.repository, repo_key=task.repository, scan_version=task.scan_version,
        target_kind="git", sealed={s.credential_id: s for s in res.sealed},
    )
    if res.tips is not None and res.error is None:
        store.remember_tips(task.repository, task.scan_version, list(res.tips))


def _moved(store: Store, task: AuditTask, res: RepoResult) -> list[Finding]:
    """Recorded findings whose blob's presence at the tip changed with new commits."""
    if not (res.incremental and res.stats.chunks and task.watch_blobs):
        return []
    fresh = {f.id for f in res.findings}
    at_tip = set(res.blobs_at_tip)
    out = []
    for f in store.findings(task.repository):
        prov = f.provenance
        if f.id in fresh or not isinstance(prov, GitProvenance):
            continue
        if prov.present_at_head is not None and (prov.blob in at_tip) != prov.present_at_head:
            out.append(dataclasses.replace(
                f, provenance=dataclasses.replace(prov, present_at_head=prov.blob in at_tip)))
    return out


def _unsealed(res: RepoResult, key: StoreKey) -> list[Finding]:
    """A result's findings with their secrets back (this run's own key, nothing stored)."""
    plain = {
        s.credential_id: key.decrypt(s.ciphertext, s.credential_id) or ""
        for s in res.sealed if s.ciphertext is not None
    }
    return [dataclasses.replace(f, secret=plain.get(f.credential, "")) for f in res.findings]


def _from_store(store: Store, repositories: Sequence[str]) -> list[Finding]:
    out: dict[str, Finding] = {}
    for repository in repositories:
        for f in store.findings(repository):
            out.setdefault(f.id, f)
    return list(out.values())


def summaries(
    repositories: Sequence[str], findings: Sequence[Finding], errors: dict[str, str]
) -> tuple[RepositorySummary, ...]:
    """Per repository: its findings and distinct credentials, or why it was skipped."""
    counts: dict[str, tuple[int, set[str]]] = {r: (0, set()) for r in repositories}
    for f in findings:
        prov = f.provenance
        if isinstance(prov, GitProvenance) and prov.repo in counts:
            n, creds = counts[prov.repo]
            creds.add(f.credential)
            counts[prov.repo] = (n + 1, creds)
    return tuple(
        RepositorySummary(r, counts[r][0], len(counts[r][1]), errors.get(r)) for r in repositories)
