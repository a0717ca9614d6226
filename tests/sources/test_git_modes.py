"""The working tree mode, called directly (the staged changes: test_git_staged.py)."""

from __future__ import annotations

from pathlib import Path

from gitrepo import staged_changes_repo

from pgsweep.core.models import Chunk, FileProvenance, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.git import GitSource
from pgsweep.sources.git_modes import iter_worktree


def _shown(items: list[Chunk | Skipped]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if isinstance(item, Skipped):
            out.append((Path(item.where).name if "/" in item.where else item.where, item.reason))
        elif isinstance(item.provenance, GitProvenance):
            out.append((item.provenance.path or "", item.data.decode()))
        else:
            assert isinstance(item.provenance, FileProvenance)
            out.append((Path(item.provenance.path).name, item.data.decode()))
    return out


def test_worktree_reads_uncommitted_and_untracked_files_not_ignored(tmp_path: Path) -> None:
    r = staged_changes_repo(tmp_path / "repo")
    repo = GitSource(r.root, ScanOptions(path=str(r.root))).repo
    shown = _shown(list(iter_worktree(repo, "repo", Excludes(("skip/",)), 50)))
    assert shown == [
        ("big.env", "too large"),
        ("bin.dat", "binary"),
        ("changed.env", "after\n"),
        ("copy.env", "new\n"),
        ("kept.env", "edited, not staged\n"),
        ("new.env", "new\n"),
        ("untracked.env", "untracked\n"),
    ]
