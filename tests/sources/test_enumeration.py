"""The blob enumeration against git's own trees: every blob once, at its first commit and path."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from pgsweep.core.options import ScanOptions
from pgsweep.sources.git import GitSource


def _held(r: GitRepo) -> dict[str, dict[str, set[str]]]:
    """Per commit: blob -> the paths it has there, from `git ls-tree -r` of each commit."""
    out: dict[str, dict[str, set[str]]] = {}
    for commit in r.git("rev-list", "--all").split():
        blobs: dict[str, set[str]] = {}
        for line in r.git("ls-tree", "-r", "-z", commit).split("\0"):
            if line:
                meta, path = line.split("\t", 1)
                blobs.setdefault(meta.split()[2], set()).add(path)
        out[commit] = blobs
    return out


def _history(tmp_path: Path) -> GitRepo:
    """Branches merged both ways, a revert to an earlier blob, a rename, a deletion, a
    directory whose tree only changes by losing a file, odd path names, a tag on a blob."""
    r = GitRepo(tmp_path / "repo")
    r.write("a.env", "one\n")
    r.write('dir/we ird "name"\t.txt', "quoted\n")
    r.write("dir/café.env", "unicode\n")
    r.write("conf/keep.env", "keep\n")
    r.write("conf/drop.env", "drop\n")
    r.commit("first")
    r.git("checkout", "-q", "-b", "side")
    r.write("side.env", "from side\n")
    r.write("a.env", "two\n")
    r.commit("side work")
    r.git("checkout", "-q", "main")
    r.write("main.env", "from main\n")
    (r.root / "conf/drop.env").unlink()  # conf/ becomes a new tree holding only old blobs
    r.commit("main work")
    r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    r.write("a.env", "one\n")  # back to the first blob
    r.git("mv", "main.env", "moved.env")
    r.commit("revert and rename")
    r.git("checkout", "-q", "side")
    r.write("late.env", "from main\n")  # the same content as main.env, on the other branch
    r.commit("same blob elsewhere")
    r.git("merge", "-q", "--no-ff", "-m", "merge main into side", "main")
    r.git("checkout", "-q", "main")
    return r


@pytest.mark.parametrize("split", [False, True], ids=["one-walk", "default-branch-and-rest"])
def test_each_blob_is_listed_once_at_a_first_commit_that_holds_it(
    tmp_path: Path, split: bool
) -> None:
    """One rev-list over every ref, or (large histories) the default branch's and the rest's
    at once: the same blobs, each at a commit that holds it and whose ancestors do not."""
    r = _history(tmp_path)
    tagged = r.git("hash-object", "-w", str(r.write("loose.txt", "tagged blob\n")))
    r.git("tag", "blob-tag", tagged)
    (r.root / "loose.txt").unlink()
    held = _held(r)
    source = GitSource(r.root, ScanOptions(path=str(r.root)),
                       parallel_min_objects=0 if split else 10**9)
    assert source.enumeration.is_large() is split
    listed = list(source.enumeration.iter_blobs([]))
    every_blob = {b for blobs in held.values() for b in blobs} | {tagged}
    blobs = [ref for ref in listed if ref.oid in every_blob]
    assert sorted(ref.oid for ref in blobs) == sorted(every_blob)  # each blob once
    # besides blobs, only a tree no new entry follows: conf/ after a deletion (read, skipped)
    others = [(ref.path, r.git("cat-file", "-t", ref.oid)) for ref in listed
              if ref.oid not in every_blob]
    assert others == [("conf", "tree")]
    for ref in blobs:
        if ref.oid == tagged:
            assert ref.commit is None  # named by a ref, held by no commit
            continue
        assert ref.commit is not None
        assert ref.path in held[ref.commit][ref.oid], ref
        # first: no ancestor of that commit holds the blob
        for ancestor in r.git("rev-list", f"{ref.commit}^@").split():
            assert ref.oid not in held[ancestor], (ref, ancestor)
    by_oid = {ref.oid: ref for ref in blobs}
    first = r.git("rev-list", "--max-parents=0", "main")
    if split:  # a blob main and side both hold keeps main's commit
        assert by_oid[r.blob("main:moved.env")].commit == r.git("rev-parse", "main~2")
    for path in ("a.env", 'dir/we ird "name"\t.txt', "dir/café.env"):
        # a.env is set back to this blob later: still first held by the root commit
        assert (by_oid[r.blob(f"{first}:{path}")].commit,
                by_oid[r.blob(f"{first}:{path}")].path) == (first, path)


def test_a_range_lists_what_it_adds_at_its_commits(tmp_path: Path) -> None:
    r = _history(tmp_path)
    head = r.git("rev-parse", "main")
    source = GitSource(r.root, ScanOptions(path=str(r.root), commit_range=f"main~1..{head}"))
    listed = {ref.path: ref for ref in source.enumeration.iter_blobs([])}
    # the last commit sets a.env back to "one" (held only before the range): first held
    # there; moved.env is main.env renamed, a blob the range's base already holds
    assert listed["a.env"].commit == head
    assert "moved.env" not in listed and "main.env" not in listed


def test_a_history_is_large_from_the_threshold_on(tmp_path: Path) -> None:
    """The threshold is the enumeration's parameter: at the repository's object count a
    history is large (walked in two rev-lists, shared out), one object fewer it is not."""
    r = GitRepo(tmp_path / "repo")
    r.write("a.env", "one\n")
    r.commit("first")  # a blob, a tree, a commit
    r.write("a.env", "two\n")
    r.commit("second")  # three more
    opts = ScanOptions(path=str(r.root))
    assert GitSource(r.root, opts).enumeration.object_count() == 6
    assert GitSource(r.root, opts, parallel_min_objects=6).enumeration.is_large()
    assert not GitSource(r.root, opts, parallel_min_objects=7).enumeration.is_large()
    assert GitSource(r.root, opts, parallel_min_objects=6).shards(2) is not None
    assert GitSource(r.root, opts, parallel_min_objects=7).shards(2) is None
