"""The local executor: audit tasks in worker processes on this machine, one task each."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from dataclasses import replace

from pgsweep.fleet.interface import AuditTask, RepoResult, Worker


def default_jobs() -> int:
    """One worker process per core."""
    return max(1, os.cpu_count() or 1)


def _ignore_interrupts() -> None:
    """In a worker process, before any work: Ctrl-C is the coordinator's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class LocalExecutor:
    """`jobs` forked worker processes (1: in this process), each taking the next task."""

    def __init__(self, jobs: int = 0) -> None:
        self.jobs = jobs if jobs > 0 else default_jobs()

    def run(self, tasks: Sequence[AuditTask], worker: Worker) -> Iterator[RepoResult]:
        workers = min(self.jobs, len(tasks))
        if workers <= 1:
            for task in tasks:
                yield worker(task)
            return
        # a pool's workers are daemons, which cannot start processes of their own
        tasks = [replace(t, settings=replace(t.settings, jobs=1)) for t in tasks]
        ctx = multiprocessing.get_context("fork")
        # SIGINT stays blocked while forking, so no worker can take one before it ignores it
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pool = ctx.Pool(workers, initializer=_ignore_interrupts, maxtasksperchild=None)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        with pool:
            yield from pool.imap_unordered(worker, tasks, chunksize=1)
