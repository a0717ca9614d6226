"""Scan options, gathered once by the CLI (and config file) and passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pgsweep.core.models import Severity

DEFAULT_MAX_BLOB_SIZE = 10 * 1024 * 1024


def effective_jobs(jobs: int) -> int:
    """The worker count `jobs` asks for: 0 means one per core, at most 4."""
    import os

    return jobs if jobs > 0 else max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class ScanOptions:
    path: str
    unreachable: bool = False
    worktree: bool = False
    max_blob_size: int = DEFAULT_MAX_BLOB_SIZE
    excludes: tuple[str, ...] = ()
    since: str | None = None
    commit_range: str | None = None
    staged: bool = False
    extra_signatures: tuple[Path, ...] = ()
    fail_on: Severity = Severity.LOW
    progress: bool = False
    use_hyperscan: bool = True
    jobs: int = 0  # worker processes for large git histories; 0: one per core (at most 4)
    # Commits whose whole history an earlier scan already covered (incremental rescans):
    # a git source skips every object reachable from them. Set by pgsweep.jobs.scan.
    exclude_tips: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
