"""The git scan mode that reads no history and needs libgit2: the working tree's
uncommitted files (the staged changes are `git_staged`'s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2

from pgsweep.core.models import Chunk, FileProvenance, Skipped
from pgsweep.readers.encodings import as_utf8
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.files import file_meta, is_binary


def iter_worktree(
    repo: pygit2.Repository, name: str, excludes: Excludes, max_size: int,
) -> Iterator[Chunk | Skipped]:
    """Uncommitted and untracked (not ignored) files of the working tree."""
    workdir = repo.workdir
    if workdir is None:
        yield Skipped(name, "bare repository: no working tree to scan", warn=True)
        return
    skip = pygit2.enums.FileStatus.IGNORED | pygit2.enums.FileStatus.WT_DELETED
    for rel, flags in sorted(repo.status().items()):
        if flags & skip or flags == pygit2.enums.FileStatus.CURRENT or excludes.is_excluded(rel):
            continue
        item = _worktree_item(Path(workdir) / rel, max_size)
        if item is not None:
            yield item


def _worktree_item(path: Path, max_size: int) -> Chunk | Skipped | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        st = path.stat()
        if st.st_size > max_size:
            return Skipped(str(path), "too large")
        data = as_utf8(path.read_bytes())
    except OSError as exc:
        return Skipped(str(path), f"unreadable: {exc.strerror or exc}", incomplete=True)
    if is_binary(data):
        return Skipped(str(path), "binary")
    meta = file_meta(st)
    return Chunk(
        data=data,
        provenance=FileProvenance(
            path=str(path), reader="worktree",
            owner=meta["owner"], mode=meta["mode"], mtime=meta["mtime"],
        ),
    )
