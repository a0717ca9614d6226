"""The working tree mode, called directly (the staged changes: test_git_staged.py)."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo

from pgsweep.core.models import Chunk, FileProvenance, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.git import GitSource
from pgsweep.sources.git_modes import iter_worktree


def _repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.write("kept.env", "committed\n")
    r.write("changed.env", "before\n")
    r.write(".gitignore", "ignored.env\n")
    r.commit("first")
    r.write("changed.env", "after\n")
    r.write("new.env", "new\n")
    r.write("copy.env", "new\n")  # the same blob as new.env: read once
    r.write("skip/me.env", "excluded\n")
    r.write("big.env", "x" * 100)
    r.write("bin.dat", b"\0\1\2binary")
    r.git("add", "-A")
    r.write("untracked.env", "untracked\n")
    r.write("ignored.env", "ignored\n")
    r.write("kept.env", "edited, not staged\n")
    return r


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
    r = _repo(tmp_path)
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
