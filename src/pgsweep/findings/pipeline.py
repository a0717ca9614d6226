"""Compose the stages: source → chunks → detector → filters → findings → credentials."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from pgsweep.core.models import (
    Candidate,
    Chunk,
    Credential,
    Finding,
    GitProvenance,
    ScanStats,
    Severity,
    Skipped,
    provenance_path,
)
from pgsweep.detectors import filters as filters_mod
from pgsweep.detectors.decoders import iter_decoded
from pgsweep.detectors.engine import SignatureDetector, Windows, merge_windows
from pgsweep.detectors.signatures import Signature
from pgsweep.findings import credentials as credentials_mod
from pgsweep.findings.fingerprint import credential_id, finding_id, fingerprint
from pgsweep.findings.scrub import scrub_finding, scrub_text
from pgsweep.sources.interface import Source

Progress = Callable[[ScanStats], None]


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan produced."""

    findings: tuple[Finding, ...]
    credentials: tuple[Credential, ...]
    stats: ScanStats
    signatures: tuple[Signature, ...] = field(default=(), repr=False)


def _where(chunk: Chunk) -> str:
    p = chunk.provenance
    if isinstance(p, GitProvenance):
        return f"git:{p.blob}"
    return f"{p.kind}:{provenance_path(p)}:{getattr(p, 'timestamp', '') or ''}"


def is_signature_file(data: bytes) -> bool:
    """pgsweep's own signature files carry examples on purpose."""
    if b"negative_examples:" not in data:
        return False
    return data.startswith(b"id: pg.") or b"\nid: pg." in data or b"- id: pg." in data


class Scanner:
    """Runs the detector and filters over chunks; one instance per scan."""

    def __init__(
        self,
        signatures: Sequence[Signature],
        filters: Sequence[tuple[str, filters_mod.Filter]] = filters_mod.DEFAULT_FILTERS,
        use_hyperscan: bool = True,
        info_rules: Sequence[tuple[str, filters_mod.Filter]] = filters_mod.INFO_RULES,
        prefilter: str | None = None,
    ) -> None:
        self.signatures = tuple(signatures)
        self.detector = SignatureDetector(
            self.signatures, use_hyperscan=use_hyperscan, engine=prefilter)
        self.filters = tuple(filters)
        self.info_rules = tuple(info_rules)

    def scan_chunk(self, chunk: Chunk, stats: ScanStats) -> list[Finding]:
        """Findings of one chunk and of the chunks decoded from it."""
        windows = self.detector.windows(chunk)
        kept = self.iter_kept(chunk, stats, windows) if windows else []
        derived_chunks = [] if chunk.decoded else list(
            iter_decoded(chunk, merge_windows([w for ws in windows.values() for w in ws]))
        )
        if not kept and not derived_chunks:
            return []
        example_file = is_signature_file(chunk.data)
        out = [self.to_finding(chunk, c, example_file) for c in kept]
        seen = {f.id for f in out}
        for derived in derived_chunks:
            for c in self.iter_kept(derived, stats):
                f = self.to_finding(derived, c, example_file)
                # a derived chunk repeats the undecoded lines too: report each once
                if f.id not in seen:
                    seen.add(f.id)
                    out.append(f)
        return out

    def scan_items(
        self,
        items: Iterable[Chunk | Skipped],
        stats: ScanStats,
        progress: Progress | None = None,
    ) -> list[Finding]:
        """Findings of every chunk, each (id, line, rule) once; skips counted in `stats`."""
        findings: list[Finding] = []
        seen: set[tuple[str, int, str]] = set()
        for item in items:
            if isinstance(item, Skipped):
                stats.skip(item)
                continue
            stats.chunks += 1
            stats.bytes += len(item.data)
            if isinstance(item.provenance, GitProvenance):
                stats.blobs += 1
            _add_unique(findings, seen, self.scan_chunk(item, stats))
            if progress is not None:
                stats.findings = len(findings)
                progress(stats)
        return findings

    def _run_parallel(
        self, recipes: Sequence[Callable[[], Source]], stats: ScanStats, progress: Progress | None,
        fill: Callable[[], int | None] | None = None,
    ) -> list[Finding]:
        """Scan the shards in worker processes. The workers are forked before `fill` (the
        source's work for its shards, such as listing a history's blobs) runs here, so they
        do not start out with a copy of what it builds."""
        global _WORKER_SCANNER, _WORKER_COUNTS
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        _WORKER_SCANNER = self  # inherited by the forked workers, never pickled
        # chunks, blobs, bytes: what the workers have read so far, for the progress display
        _WORKER_COUNTS = ctx.Array("q", 3) if progress is not None else None
        findings: list[Finding] = []
        seen: set[tuple[str, int, str]] = set()
        # Ctrl-C is the coordinator's to handle: workers ignore SIGINT (a terminal sends it
        # to every process of the group) and are stopped when the pool is left. SIGINT is
        # blocked while forking, so no worker can take one before it ignores them.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pool = ctx.Pool(len(recipes), initializer=_ignore_interrupts)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        with pool:
            planned = fill() if fill is not None else None
            parts = pool.imap(_scan_shard, recipes)
            for _ in recipes:
                while True:
                    try:
                        part, part_stats = parts.next(timeout=PROGRESS_SECONDS)
                        break
                    except multiprocessing.TimeoutError:
                        if progress is not None:
                            progress(_live_stats(stats, len(findings), planned))
                stats.absorb(part_stats)
                _add_unique(findings, seen, part)
                if progress is not None:
                    progress(_live_stats(stats, len(findings), planned))
        return findings

    def iter_kept(
        self, chunk: Chunk, stats: ScanStats, windows: Windows | None = None
    ) -> list[Candidate]:
        kept = []
        for c in self.detector.iter_candidates(chunk, windows):
            stats.candidates += 1
            reason = filters_mod.suppression_reason(c, self.filters)
            if reason is not None:
                stats.suppress(reason)
            elif filters_mod.info_reason(c, self.info_rules) is not None:
                kept.append(replace(c, severity=Severity.INFO))
            else:
                kept.append(c)
        return kept

    def to_finding(self, chunk: Chunk, c: Candidate, example_file: bool = False) -> Finding:
        p = c.parsed
        secret = p.password or ""
        fp = fingerprint(secret)
        cid = credential_id(fp, p.user, p.hosts)
        severity = c.severity
        if (
            example_file
            or filters_mod.is_local_only(p.hosts)
            or filters_mod.is_user_as_password(p.user, p.password)
        ):
            severity = min(severity, Severity.LOW)
        line = chunk.original_line(c.line)
        return Finding(
            id=finding_id(cid, c.rule, _where(chunk), line),
            rule=c.rule,
            kind=p.kind,
            provenance=chunk.provenance,
            line=line,
            secret=secret,
            fingerprint=fp,
            user=p.user,
            hosts=p.hosts,
            ports=p.ports,
            database=p.database,
            params=p.params,
            severity=severity,
            credential=cid,
        )

    def run(
        self, source: Source, progress: Progress | None = None, jobs: int = 1
    ) -> ScanResult:
        """Scan every chunk of `source`, then attribute and group the findings.

        With jobs > 1, a source that can be split (a large git history) is scanned by that
        many worker processes, each reading and matching its own share of the blobs:
        reading (git) and matching (Python) then use every core.
        """
        stats = ScanStats()
        started = time.monotonic()
        recipes = _shards(source, jobs)
        if recipes:
            findings = self._run_parallel(
                recipes, stats, progress, getattr(source, "fill_shards", None))
        else:
            findings = self.scan_items(source.iter_items(), stats, progress)
        # Nothing but the secret may carry secret material from here on (pgsweep.findings.scrub).
        findings = [scrub_finding(f) for f in source.attribute(findings)]
        secrets = {f.secret for f in findings if f.secret}
        stats.warnings[:] = [scrub_text(w, secrets) for w in stats.warnings]
        stats.notices[:] = [scrub_text(n, secrets) for n in stats.notices]
        stats.findings = len(findings)
        stats.seconds = round(time.monotonic() - started, 3)
        # this process, plus the workers' own peaks when the scan ran in parallel
        stats.peak_rss_mib = round(stats.peak_rss_mib + _peak_rss_mib(), 1)
        return ScanResult(
            findings=tuple(findings),
            credentials=tuple(credentials_mod.group(findings)),
            stats=stats,
            signatures=self.signatures,
        )


_WORKER_SCANNER: Scanner | None = None
_WORKER_COUNTS: Any = None  # a shared multiprocessing Array of chunks, blobs and bytes
PROGRESS_SECONDS = 0.25  # how often a parallel scan's progress is refreshed


def _live_stats(stats: ScanStats, findings: int, planned: int | None) -> ScanStats:
    """What the workers have read so far (their live counters), for the display only."""
    live = ScanStats(findings=findings, planned_blobs=planned or 0)
    if _WORKER_COUNTS is not None:
        live.chunks, live.blobs, live.bytes = _WORKER_COUNTS[:]
    else:
        live.chunks, live.blobs, live.bytes = stats.chunks, stats.blobs, stats.bytes
    return live


class _SharedCounter:
    """In a worker: adds its stats' growth to the shared counters, at most every
    PROGRESS_SECONDS (and once at the end)."""

    def __init__(self) -> None:
        self.sent = (0, 0, 0)
        self.at = time.monotonic()

    def __call__(self, stats: ScanStats, final: bool = False) -> None:
        now = time.monotonic()
        if _WORKER_COUNTS is None or (not final and now - self.at < PROGRESS_SECONDS):
            return
        self.at = now
        current = (stats.chunks, stats.blobs, stats.bytes)
        with _WORKER_COUNTS.get_lock():
            for i, (new, old) in enumerate(zip(current, self.sent, strict=True)):
                _WORKER_COUNTS[i] += new - old
        self.sent = current


def _ignore_interrupts() -> None:
    """In a worker process, before any work: leave SIGINT to the coordinator."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _add_unique(
    findings: list[Finding], seen: set[tuple[str, int, str]], new: Iterable[Finding]
) -> None:
    """Append each finding whose (id, line, rule) is not in `seen` yet."""
    for f in new:
        key = (f.id, f.line, f.rule)
        if key not in seen:
            seen.add(key)
            findings.append(f)


def _shards(source: Source, jobs: int) -> list[Callable[[], Source]] | None:
    """Factories of the sources a parallel scan runs, or None to scan in this process."""
    split = getattr(source, "shards", None)
    if jobs < 2 or split is None or sys.platform == "win32":
        return None
    recipes = split(jobs)
    if not recipes:
        return None
    cls = type(source)
    return [partial(cls.shard, *recipe) for recipe in recipes]  # type: ignore[attr-defined]


def _scan_shard(recipe: Callable[[], Source]) -> tuple[list[Finding], ScanStats]:
    """In a worker process: scan one shard with the scanner the parent forked from."""
    assert _WORKER_SCANNER is not None
    stats = ScanStats()
    share = _SharedCounter()
    findings = _WORKER_SCANNER.scan_items(recipe().iter_items(), stats, share)
    share(stats, final=True)
    stats.peak_rss_mib = _peak_rss_mib()
    return findings, stats


def _peak_rss_mib() -> float:
    """This process's peak resident memory.

    Linux's VmHWM, not getrusage's ru_maxrss: the latter keeps the peak of the process
    that started this one (a 600 MiB launcher made pgsweep's main process report 600).
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return 0.0
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def with_severity(f: Finding, severity: Severity) -> Finding:
    return replace(f, severity=severity)
