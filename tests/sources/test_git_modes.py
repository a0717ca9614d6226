"""The git modes that read no history, called directly: staged changes and the working tree."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo

from pgsweep.core.models import Chunk, FileProvenance, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.git import GitSource
from pgsweep.sources.git_modes import iter_staged, iter_worktree


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


def test_staged_reads_index_blobs_that_differ_from_the_tip(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    repo = GitSource(r.root, ScanOptions(path=str(r.root))).repo
    items = list(iter_staged(repo, "repo", r.head(), Excludes(("skip/",)), 50))
    assert sorted(_shown(items)) == [
        ("big.env (staged)", "too large"),
        ("bin.dat (staged)", "binary"),
        ("changed.env", "after\n"),
        ("copy.env", "new\n"),
    ]
    (chunk,) = [i for i in items if isinstance(i, Chunk) and i.data == b"after\n"]
    assert chunk.provenance == GitProvenance(repo="repo", blob=r.git("rev-parse", ":changed.env"),
                                             path="changed.env")


def test_staged_without_a_tip_reads_the_whole_index(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    repo = GitSource(r.root, ScanOptions(path=str(r.root))).repo
    shown = _shown(list(iter_staged(repo, "repo", None, Excludes(()), 1000)))
    assert [path for path, _ in shown] == [
        ".gitignore", "big.env", "bin.dat (staged)", "changed.env", "copy.env", "kept.env",
        "skip/me.env"]


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
