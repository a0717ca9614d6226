"""Decide what a scan PATH is (git repository, folder, file, archive, stdin) and open it."""

from __future__ import annotations

from pathlib import Path

from pgsweep.options import ScanOptions
from pgsweep.sources.files import FileSource
from pgsweep.sources.interface import Source, SourceError


def is_git_repository(path: Path) -> bool:
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def open_source(opts: ScanOptions) -> Source:
    path = Path(opts.path)
    if opts.path != "-" and not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_dir() and is_git_repository(path):
        from pgsweep.sources.git import GitSource

        return GitSource(path, opts)
    if opts.since or opts.commit_range or opts.staged or opts.unreachable:
        raise SourceError(f"{path}: not a git repository")
    return FileSource(path, excludes=opts.excludes, max_size=opts.max_blob_size)
