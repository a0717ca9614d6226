"""The git scan modes that read no history: the staged changes (what `git commit` would
record) and the working tree's uncommitted files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2

from pgsweep.core.models import Chunk, FileProvenance, GitProvenance, Skipped
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.files import file_meta, is_binary


def iter_staged(
    repo: pygit2.Repository, name: str, tip: str | None, excludes: Excludes, max_size: int,
) -> Iterator[Chunk | Skipped]:
    """Index blobs that differ from `tip` (every index blob without one)."""
    index = repo.index
    head = repo.get(tip) if tip is not None else None
    if not isinstance(head, pygit2.Commit):
        entries = [(e.path, str(e.id)) for e in index]
    else:
        diff = index.diff_to_tree(head.tree)
        entries = [
            (d.new_file.path, str(d.new_file.id))
            for d in diff.deltas
            if d.status_char() in ("A", "M", "T", "C", "R")
        ]
    seen: set[str] = set()
    for path, oid in entries:
        if excludes.is_excluded(path) or oid in seen:
            continue
        seen.add(oid)
        item = _staged_item(repo, name, path, oid, max_size)
        if item is not None:
            yield item


def _staged_item(
    repo: pygit2.Repository, name: str, path: str, oid: str, max_size: int,
) -> Chunk | Skipped | None:
    where = f"{path} (staged)"
    try:
        blob = repo[oid]
    except (KeyError, ValueError):
        return Skipped(where, "missing object")
    if not isinstance(blob, pygit2.Blob):
        return None  # a submodule's commit
    if blob.size > max_size:
        return Skipped(where, "too large")
    data = blob.data
    if is_binary(data):
        return Skipped(where, "binary")
    return Chunk(data=data, provenance=GitProvenance(repo=name, blob=oid, path=path))


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
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(str(path), f"unreadable: {exc.strerror or exc}")
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
