"""Decide what a scan PATH is (git repository, folder, file, archive, stdin) and open it."""

from __future__ import annotations

import os
from pathlib import Path

from pgsweep.core.options import ScanOptions
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import FileSource
from pgsweep.sources.git_staged import StagedSource, is_staged_only
from pgsweep.sources.interface import Source, SourceError


def is_git_repository(path: Path) -> bool:
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def enclosing_repository(path: Path) -> Path | None:
    """The working tree a folder inside a repository belongs to, if any."""
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            return parent
    return None


def archive_limits(opts: ScanOptions) -> ArchiveLimits:
    """The archive limits for a scan; the file size limit also bounds each member."""
    return ArchiveLimits(max_member_size=opts.max_blob_size)


def open_source(opts: ScanOptions) -> Source:
    if opts.path == "-":
        from pgsweep.sources.stdin import StdinSource

        return StdinSource(archive_limits(opts))
    path = Path(opts.path)
    if not os.path.lexists(path) or not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_dir() and is_git_repository(path):
        if is_staged_only(opts):
            return StagedSource(path, opts)
        # Here, not at the top, for start-up time: GitSource brings libgit2 (pygit2, ~0.1 s
        # of CPU to load), which a pre-commit `--staged` scan does without.
        from pgsweep.sources.git import GitSource

        return GitSource(path, opts)
    if opts.since or opts.commit_range or opts.staged or opts.unreachable:
        root = enclosing_repository(path)
        hint = f" (it is inside {root}: scan that, the repository's root)" if root else ""
        raise SourceError(f"{path}: not a git repository{hint}")
    return FileSource(path, excludes=opts.excludes, limits=archive_limits(opts))
