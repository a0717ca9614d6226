"""The executor boundary: a picklable task per repository in, a picklable result out that
carries what the store needs and no plaintext secret."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import Finding, ScanStats
from pgsweep.store.keys import StoreKey
from pgsweep.store.sealed import SealedSecret


class FleetError(PgsweepError):
    """An executor cannot run the audit at all (one repository failing is a result)."""


@dataclass(frozen=True)
class ScanSettings:
    """What decides what a scan finds, the same for every repository of an audit."""

    max_blob_size: int
    excludes: tuple[str, ...] = ()
    extra_signatures: tuple[Path, ...] = ()
    use_hyperscan: bool = True
    jobs: int = 1  # processes within one repository: only where the task runs unforked


@dataclass(frozen=True)
class AuditTask:
    """One repository to scan, with everything a worker needs and nothing it must not see
    but the store key, which seals the secrets it finds before they leave it."""

    index: int
    repository: str  # what reports and the store name it: an absolute path, or a URL
    # without credentials
    source: str = field(repr=False)  # what git is given: the path, or the URL as listed
    remote: bool
    settings: ScanSettings
    scan_version: str
    key: StoreKey = field(repr=False)
    keep_secrets: bool = True  # False: keyed hashes only (--no-store-secrets)
    remembered: tuple[str, ...] = ()  # tips an earlier scan of this version covered
    watch_blobs: tuple[str, ...] = ()  # blobs of recorded findings: still at the tip?
    cache_dir: str | None = None  # where remote mirrors live (None: the default cache)
    git_timeout: float = 3600.0


@dataclass(frozen=True)
class RepoResult:
    """What one task produced. `findings` carry `secret == ""`; `sealed` holds each
    credential's secret as the store keeps it. `error` set: the repository was skipped."""

    index: int
    repository: str
    findings: tuple[Finding, ...] = ()
    sealed: tuple[SealedSecret, ...] = ()
    stats: ScanStats = field(default_factory=ScanStats)
    tips: tuple[str, ...] | None = None  # tips to remember (None: remember nothing)
    blobs_at_tip: tuple[str, ...] = ()  # which of the task's `watch_blobs` are at the tip
    incremental: bool = False  # only objects new since the remembered tips were read
    error: str | None = None


Worker = Callable[[AuditTask], RepoResult]


class Executor(Protocol):
    """Runs audit tasks somewhere (local processes, a cluster) and yields their results.

    `run` yields exactly one `RepoResult` per task, in any order, as each finishes. It
    calls `worker` (a module-level function, so it pickles by name) on each task. A task
    that fails yields a result with `error`; `run` raises `FleetError` only when the
    executor itself cannot work. Leaving the iterator early stops the remaining tasks.
    """

    def run(self, tasks: Sequence[AuditTask], worker: Worker) -> Iterator[RepoResult]: ...
