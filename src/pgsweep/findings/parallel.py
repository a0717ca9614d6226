"""Scan a shared-out source in worker processes: each worker scans one shard with the
scanner it was forked with, and returns its findings and counts to the coordinator."""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pgsweep.core.models import Chunk, Finding, ScanStats, Skipped
from pgsweep.sources.interface import Shards

Progress = Callable[[ScanStats], None]
PROGRESS_SECONDS = 0.25  # how often a parallel scan's progress is refreshed


class ItemScanner(Protocol):
    """What a worker needs of the scanner (`pgsweep.findings.pipeline.Scanner`)."""

    def scan_items(self, items: Iterable[Chunk | Skipped], stats: ScanStats,
                   progress: Progress | None = None) -> list[Finding]: ...


@dataclass(frozen=True)
class WorkerContext:
    """What every worker starts with, handed to it when it is forked (never pickled): the
    scanner, the shards, and the live counters of chunks, blobs and bytes read so far
    (a shared array, or None without a progress display)."""

    scanner: ItemScanner
    shards: Shards
    counts: Any


# In a worker process: its context, set by `_start_worker` from the pool's arguments.
_CONTEXT: WorkerContext | None = None


def add_unique(
    findings: list[Finding], seen: set[tuple[str, int, str]], new: Iterable[Finding]
) -> None:
    """Append each finding whose (id, line, rule) is not in `seen` yet."""
    for f in new:
        key = (f.id, f.line, f.rule)
        if key not in seen:
            seen.add(key)
            findings.append(f)


def run_parallel(
    context: WorkerContext, stats: ScanStats, progress: Progress | None,
    fill: Callable[[], int | None] | None = None,
) -> list[Finding]:
    """Scan every shard in a worker process. The workers are forked before `fill` (the
    source's work for its shards, such as listing a history's blobs) runs here, so they
    do not start out with a copy of what it builds."""
    ctx = multiprocessing.get_context("fork")
    findings: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    count = context.shards.count
    # Ctrl-C is the coordinator's to handle: workers ignore SIGINT (a terminal sends it
    # to every process of the group) and are stopped when the pool is left. SIGINT is
    # blocked while forking, so no worker can take one before it ignores them.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = ctx.Pool(count, initializer=_start_worker, initargs=(context,))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    with pool:
        planned = fill() if fill is not None else None
        parts = pool.imap(_scan_shard, range(count))
        for _ in range(count):
            while True:
                try:
                    part, part_stats = parts.next(timeout=PROGRESS_SECONDS)
                    break
                except multiprocessing.TimeoutError:
                    if progress is not None:
                        progress(_live_stats(context, len(findings), planned))
            stats.absorb(part_stats)
            add_unique(findings, seen, part)
            if progress is not None:
                progress(_live_stats(context, len(findings), planned))
    return findings


def _live_stats(context: WorkerContext, findings: int, planned: int | None) -> ScanStats:
    """What the workers have read so far (their live counters), for the display only."""
    live = ScanStats(findings=findings, planned_blobs=planned or 0)
    if context.counts is not None:
        live.chunks, live.blobs, live.bytes = context.counts[:]
    return live


class _SharedCounter:
    """In a worker: adds its stats' growth to the shared counters, at most every
    PROGRESS_SECONDS (and once at the end)."""

    def __init__(self, context: WorkerContext) -> None:
        self.context = context
        self.sent = (0, 0, 0)
        self.at = time.monotonic()

    def __call__(self, stats: ScanStats, final: bool = False) -> None:
        counts = self.context.counts
        now = time.monotonic()
        if counts is None or (not final and now - self.at < PROGRESS_SECONDS):
            return
        self.at = now
        current = (stats.chunks, stats.blobs, stats.bytes)
        with counts.get_lock():
            for i, (new, old) in enumerate(zip(current, self.sent, strict=True)):
                counts[i] += new - old
        self.sent = current


def _start_worker(context: WorkerContext) -> None:
    """In a worker process, before any work: leave SIGINT to the coordinator, and keep the
    context the pool was started with."""
    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _CONTEXT = context


def _scan_shard(k: int) -> tuple[list[Finding], ScanStats]:
    """In a worker process: scan shard k."""
    context = _CONTEXT
    assert context is not None, "a shard scanned outside a worker"
    stats = ScanStats()
    share = _SharedCounter(context)
    findings = context.scanner.scan_items(context.shards.open(k).iter_items(), stats, share)
    share(stats, final=True)
    stats.peak_rss_mib = peak_rss_mib()
    return findings, stats


def peak_rss_mib() -> float:
    """This process's peak resident memory.

    Linux's VmHWM, not getrusage's ru_maxrss: the latter keeps the peak of the process
    that started this one (a large launcher would count as pgsweep's own peak).
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
