"""Run one scan end to end: load signatures, scan (incrementally when the store allows), record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pgsweep import __version__
from pgsweep.core import config as config_mod
from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import Finding, GitProvenance, ScanStats
from pgsweep.core.options import ScanOptions, effective_jobs
from pgsweep.detectors import backtracking
from pgsweep.detectors import signatures as signatures_mod
from pgsweep.findings import baseline as baseline_mod
from pgsweep.findings.parallel import Progress
from pgsweep.findings.pipeline import Scanner, ScanResult
from pgsweep.sources import select
from pgsweep.sources.git_tips import blobs_at, default_tip, list_tips, present_commits
from pgsweep.sources.interface import Source, TippedSource
from pgsweep.store import Store, StoreError, StoreLocation, repo_key_for

SourceOpener = Callable[[ScanOptions], Source]


def signature_files(extra_dirs: Sequence[Path]) -> list[Path]:
    """The files `signatures.load` reads, in the same order."""
    out: list[Path] = []
    for folder in (signatures_mod.default_dir(), *extra_dirs):
        out.extend(sorted(Path(folder).glob("*.y*ml")))
    return out


def scan_version(opts: ScanOptions) -> str:
    """Names everything that decides what a scan finds in the same objects.

    pgsweep's version, every loaded signature file's name and bytes, and the options that
    select content (size limit, excludes). A change to any of them makes a full rescan.
    """
    h = hashlib.sha256()
    h.update(f"pgsweep {__version__}\0".encode())
    for path in signature_files(opts.extra_signatures):
        h.update(path.name.encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    selection = {"max_blob_size": opts.max_blob_size, "excludes": sorted(opts.excludes)}
    h.update(json.dumps(selection, sort_keys=True).encode())
    return "v" + h.hexdigest()[:24]


def is_incremental_candidate(opts: ScanOptions) -> bool:
    """A plain full-history scan of a git repository: what remembered tips can shorten."""
    if opts.path == "-" or opts.since or opts.commit_range or opts.staged:
        return False
    if opts.unreachable or opts.worktree:
        return False  # objects outside the ref graph: always scanned in full
    path = Path(opts.path)
    return path.is_dir() and select.is_git_repository(path)


def scope_key(opts: ScanOptions) -> str:
    """The store scope a scan records into: a git repository's full history is its absolute
    path; a partial look at it (--since, --staged, --worktree…) is kept apart, so an
    incremental report of the history never shows what only a partial scan saw."""
    key = repo_key_for(opts.path)
    if opts.path != "-" and not is_incremental_candidate(opts):
        path = Path(opts.path)
        if path.is_dir() and select.is_git_repository(path):
            return key + "#partial"
    return key


def target_kind(opts: ScanOptions) -> str:
    """What the store lists the scanned path as: git, folder, file or stdin."""
    if opts.path == "-":
        return "stdin"
    path = Path(opts.path)
    if path.is_dir():
        return "git" if select.is_git_repository(path) else "folder"
    return "file"


@dataclass(frozen=True)
class IncrementalPlan:
    """What the store remembers for this repository and scan version."""

    repo_key: str
    version: str
    remembered: tuple[str, ...]  # remembered tips that still exist in the repository


def plan_incremental(opts: ScanOptions, store: Store) -> IncrementalPlan | None:
    if not is_incremental_candidate(opts):
        return None
    repo_key = repo_key_for(opts.path)
    version = scan_version(opts)
    remembered = store.scanned_tips(repo_key, version)
    present = present_commits(Path(opts.path), remembered) if remembered else ()
    return IncrementalPlan(repo_key, version, present)


def current_tips(source: Source, repo: Path) -> tuple[str, ...]:
    """The tips the source scans: its own `tips()` when it has one, else every ref's."""
    if isinstance(source, TippedSource):
        return tuple(sorted(set(source.tips())))
    return list_tips(repo)


def open_scan_store(
    path: StoreLocation | None, *, enabled: bool = True, store_secrets: bool = True
) -> tuple[Store | None, str | None]:
    """The store `scan` records into, and a warning when the default one is unusable.

    An explicit `--store PATH` that cannot be written is an error. The default store is a
    convenience: when it cannot be created or written (read-only home, another key), the
    scan goes on without it and the caller prints the warning.
    """
    if not enabled:
        return None, None
    try:
        store = Store.open(path, store_secrets=store_secrets)
    except StoreError as exc:
        if path is not None:
            raise
        return None, f"not recording into the findings store: {exc} (use --store or --no-store)"
    try:
        store.ensure_writable()
    except StoreError as exc:
        store.close()
        if path is not None:
            raise
        return None, f"not recording into the findings store: {exc} (use --store or --no-store)"
    return store, None


def run_scan(
    opts: ScanOptions,
    store: Store | None,
    *,
    progress: Progress | None = None,
    open_source: SourceOpener = select.open_source,
) -> ScanResult:
    """Scan `opts.path`; with a store, record the result and rescan git history incrementally.

    An incremental rescan reads only objects not reachable from tips remembered for this
    repository and scan version, then returns every finding the store holds for the
    repository, so the report is as complete as a cold scan's.
    """
    sigs = signatures_mod.load(opts.extra_signatures)
    scanner = Scanner(sigs, use_hyperscan=opts.use_hyperscan)
    if store is None:
        return scanner.run(open_source(opts), progress=progress, jobs=effective_jobs(opts.jobs))
    store.ensure_writable()
    plan = plan_incremental(opts, store)
    repo_key = plan.repo_key if plan is not None else scope_key(opts)
    store.begin_scan(repo_key)  # cleared when recorded: an interruption stays visible
    if plan is not None and plan.remembered:
        opts = replace(opts, exclude_tips=plan.remembered)
    try:
        source = open_source(opts)
        tips = current_tips(source, Path(opts.path)) if plan is not None else ()
        if plan is not None and plan.remembered and set(tips) <= set(plan.remembered):
            result = ScanResult(findings=(), credentials=(), stats=ScanStats(),
                                signatures=tuple(sigs))
        else:
            result = scanner.run(source, progress=progress, jobs=effective_jobs(opts.jobs))
    except PgsweepError:  # told on stderr, nothing recorded: no interrupted scan to report
        store.abandon_scan(repo_key)
        raise
    to_record = result
    if plan is not None and plan.remembered and result.stats.chunks:
        # Findings recorded earlier keep their attribution, but "still at the tip" may
        # have changed with the new commits: refresh it (one ls-tree) and record it too.
        moved = refresh_head_presence(store.findings(plan.repo_key), Path(opts.path), result)
        to_record = replace(result, findings=result.findings + tuple(moved))
    store.record_scan(
        to_record, opts.path, repo_key=repo_key, scan_version=plan.version if plan else None,
        target_kind=target_kind(opts),
    )
    if plan is None:
        return result
    if not result.stats.incomplete:  # else the next scan must read it all again
        store.remember_tips(plan.repo_key, plan.version, list(tips))
    if not plan.remembered:
        return result
    return merged_with_store(result, store, plan.repo_key)


def load_config(path: str, config: Path | None = None) -> config_mod.ScanConfig:
    """The `pgsweep.toml` found at PATH's root (or `config`), as `config.load_for_scan`
    reads it, with every allowlist regex checked for superlinear shapes: a config found in
    a scanned repository is input like the rest, and one such regex could stall the scan
    on a single long password or host."""
    cfg = config_mod.load_for_scan(path, config)
    for key, patterns in (("host_patterns", cfg.allow_host_patterns),
                          ("values", cfg.allow_values)):
        for i, pattern in enumerate(patterns):
            why = (backtracking.problems(pattern.pattern, pattern.flags)
                   + backtracking.ambiguous_alternatives(pattern.pattern, pattern.flags))
            if why:
                # Not quoted: a `values` pattern may spell out the very password it allowlists.
                raise config_mod.ConfigError(
                    f"{cfg.path}: config allowlist.{key}[{i}]: regex can take superlinear "
                    f"time ({why[0]})")
    return cfg


def configured_scan(path: str, config: Path | None = None) -> ScanResult:
    """Scan PATH as `pgsweep scan PATH --no-store` does: with the `pgsweep.toml` found at its
    root (or `config`): its excludes, extra signatures, allowlists and baselines.

    Nothing is recorded and no earlier scan is reused, so every finding carries its secret
    (what a verification needs, even when the store keeps only hashes).
    """
    cfg = load_config(path, config)
    opts = ScanOptions(path=path, excludes=tuple(cfg.excludes),
                       extra_signatures=tuple(cfg.signatures))
    suppressors = [*cfg.suppressors(), *map(baseline_mod.load_any, cfg.baselines)]
    return baseline_mod.apply(run_scan(opts, None), suppressors, config_mod.scan_root(path))


def refresh_head_presence(
    stored: Sequence[Finding], repo: Path, result: ScanResult
) -> list[Finding]:
    """Stored git findings (not in `result`) whose blob's presence at the tip changed."""
    fresh = {f.id for f in result.findings}
    old = [
        f for f in stored
        if f.id not in fresh
        and isinstance(f.provenance, GitProvenance)
        and f.provenance.present_at_head is not None
    ]
    if not old:
        return []
    tip = default_tip(repo)
    at_tip = blobs_at(repo, tip) if tip else set()
    out = []
    for f in old:
        prov = f.provenance
        assert isinstance(prov, GitProvenance)
        now = prov.blob in at_tip
        if now != prov.present_at_head:
            out.append(replace(f, provenance=replace(prov, present_at_head=now)))
    return out


def merged_with_store(result: ScanResult, store: Store, repo_key: str) -> ScanResult:
    """The repository's findings from the store, this scan's (with secrets) taking precedence."""
    fresh = {f.id: f for f in result.findings}
    findings = tuple(fresh.get(f.id, f) for f in store.findings(repo_key))
    result.stats.findings = len(findings)
    return ScanResult(
        findings=findings,
        credentials=tuple(store.credentials(repo_key)),
        stats=result.stats,
        signatures=result.signatures,
    )
