"""The Dask executor: one audit task per repository on a Dask distributed cluster.

With a scheduler address the tasks go to that cluster (its workers need pgsweep installed
and access to the repositories: local paths must exist on them, URLs are mirrored into
each worker's cache). Without one, a LocalCluster of worker processes on this machine runs
them. Secrets come back sealed to this audit (`pgsweep.fleet.wire`); the store key stays
here. Dask comes with the `cluster` extra, imported only when this executor runs.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from pgsweep.fleet.interface import AuditTask, FleetError, RepoResult, Worker
from pgsweep.fleet.local import default_jobs
from pgsweep.fleet.wire import Opener, WireResult, run_sealed, unseal, without_key

EXTRA_HINT = "pip install 'pgsweep[cluster]'"
CONNECT_TIMEOUT_S = 30
# A local cluster's workers are forked from this process where fork is safe (Linux), as
# the local executor's are: they start with pgsweep already imported, instead of a new
# interpreter each. No statistical profiler samples their stacks. The scheduler runs in
# this process too, so its settings apply.
LOCAL_WORKERS = {
    "distributed.worker.multiprocessing-method": "fork" if sys.platform == "linux" else "spawn",
    "distributed.worker.profile.enabled": False,
    # Every task goes to a worker at once (none is held back for one to free up) and stays
    # there: repositories are many small, independent tasks.
    "distributed.scheduler.worker-saturation": float("inf"),
    "distributed.scheduler.work-stealing": False,
    # Fewer housekeeping wake-ups in every process of the cluster (this one included):
    # memory is not managed (tasks hold little), health is checked less often.
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


def _dask() -> tuple[Any, Any]:
    """`dask.config` and `distributed`."""
    try:  # optional: the `cluster` extra
        import dask.config
        import distributed
    except ImportError:
        raise FleetError(f"--executor dask needs the cluster extra: {EXTRA_HINT}") from None
    return dask.config, distributed


class DaskExecutor:
    """Tasks on the Dask cluster at `scheduler`, or on a LocalCluster of `jobs` workers."""

    def __init__(self, jobs: int = 0, scheduler: str | None = None) -> None:
        self.jobs = jobs if jobs > 0 else default_jobs()
        self.scheduler = scheduler

    def run(self, tasks: Sequence[AuditTask], worker: Worker) -> Iterator[RepoResult]:
        if not tasks:
            return
        config, distributed = _dask()
        opener = Opener()
        run_id = uuid.uuid4().hex[:12]
        with self._client(config, distributed, len(tasks)) as client:
            futures = {
                client.submit(run_sealed, without_key(t), opener.recipient, worker,
                              key=f"pgsweep-audit-{run_id}-{t.index}", pure=False): t
                for t in tasks
            }
            try:
                # Results that finish together are fetched together, one request per worker.
                for batch in distributed.as_completed(futures).batches():
                    try:
                        fetched: list[Any] | None = client.gather(batch)
                    except Exception:  # noqa: BLE001 -- then each on its own, failures as skips
                        fetched = None
                    for i, future in enumerate(batch):
                        wire = fetched[i] if fetched is not None else None
                        yield _result(future, futures[future], opener, wire)
            finally:
                client.cancel(list(futures))

    @contextlib.contextmanager
    def _client(self, config: Any, distributed: Any, n_tasks: int) -> Iterator[Any]:
        if self.scheduler is not None:
            try:
                client = distributed.Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise FleetError(f"{self.scheduler}: cannot reach the Dask scheduler "
                                 f"({type(exc).__name__})") from None
            with client:
                yield client
            return
        # SIGINT stays blocked while the workers start: Ctrl-C is the coordinator's. The
        # cluster's own logging stays quiet: a task that fails is a counted skip here, and a
        # worker that outlives the scheduler it is shut down with logs a traceback.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            with config.set(LOCAL_WORKERS):
                cluster = distributed.LocalCluster(
                    n_workers=min(self.jobs, n_tasks), threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.CRITICAL)
        except (OSError, RuntimeError, TimeoutError) as exc:
            raise FleetError(f"cannot start a local Dask cluster ({exc})") from None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        with cluster, distributed.Client(cluster) as client:
            yield client


def _result(future: Any, task: AuditTask, opener: Opener, wire: Any = None) -> RepoResult:
    """A finished future's result (`wire` when already fetched) with the store's seals; a
    task Dask lost is a skip."""
    try:
        if wire is None:
            wire = future.result()
    except Exception as exc:  # noqa: BLE001 -- any failure of the task is that repository's
        return RepoResult(index=task.index, repository=task.repository,
                          error=f"{task.repository}: the Dask task failed "
                                f"({type(exc).__name__})")
    if not isinstance(wire, WireResult):
        raise FleetError(f"{task.repository}: a Dask worker returned something else")
    try:
        return unseal(wire, opener, task)
    except FleetError as exc:
        return RepoResult(index=task.index, repository=task.repository, error=str(exc))
