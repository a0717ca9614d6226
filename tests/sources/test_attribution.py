"""Attribution from `git log --raw` against git's own trees, commit by commit."""

from __future__ import annotations

from pathlib import Path

import pygit2
from gitrepo import GitRepo

from pgsweep.sources.attribution import HistoryLog, Placement, _replay, _walk_records


def _truth(r: GitRepo, blobs: set[str]) -> dict[str, tuple[int, set[str]]]:
    """Per blob: how many commits hold it and at which paths, from `git ls-tree` of each."""
    held: dict[str, tuple[int, set[str]]] = {b: (0, set()) for b in blobs}
    for commit in r.git("rev-list", "--all").split():
        seen: set[str] = set()
        for line in r.git("ls-tree", "-r", "-z", commit).split("\0"):
            if not line:
                continue
            meta, path = line.split("\t", 1)
            oid = meta.split()[2]
            if oid in blobs:
                n, paths = held[oid]
                held[oid] = (n if oid in seen else n + 1, paths | {path})
                seen.add(oid)
    return held


def _history(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """Branches merged both ways, a revert to an earlier blob, a rename, odd path names."""
    r = GitRepo(tmp_path / "repo")
    r.write("a.env", "one\n")
    r.write('dir/we ird "name"\t.txt', "quoted\n")
    r.write("dir/café.env", "unicode\n")
    first = r.commit("first")
    r.git("checkout", "-q", "-b", "side")
    r.write("side.env", "from side\n")
    r.write("a.env", "two\n")
    r.commit("side work")
    r.git("checkout", "-q", "main")
    r.write("main.env", "from main\n")
    r.commit("main work")
    r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    r.write("a.env", "one\n")  # back to the first blob
    r.git("mv", "main.env", "moved.env")
    r.commit("revert and rename")
    r.git("checkout", "-q", "side")
    r.git("merge", "-q", "--no-ff", "-m", "merge main into side", "main")
    r.git("checkout", "-q", "main")
    blobs = {name: r.blob(f"{rev}:{path}") for name, rev, path in (
        ("one", first, "a.env"), ("two", "side~1", "a.env"), ("side", "side", "side.env"),
        ("main", "main", "moved.env"), ("quoted", first, 'dir/we ird "name"\t.txt'),
        ("unicode", first, "dir/café.env"))}
    return r, blobs


def test_log_replay_matches_every_commits_tree(tmp_path: Path) -> None:
    r, blobs = _history(tmp_path)
    repo = pygit2.Repository(str(r.root))
    tips = r.git("rev-parse", "main", "side").split()
    log = HistoryLog(repo, str(r.root / ".git"), tips, [])
    placed = log.placements(set(blobs.values()))
    log.close()
    assert log.error is None
    truth = _truth(r, set(blobs.values()))
    for name, oid in blobs.items():
        n, paths = truth[oid]
        assert placed[oid].commits == n, name
        assert placed[oid].paths == len(paths), name
        assert placed[oid].path in paths, name
    assert placed[blobs["one"]] == Placement(r.git("rev-list", "--max-parents=0", "main"),
                                             "a.env", truth[blobs["one"]][0], 1)
    assert placed[blobs["quoted"]].path == 'dir/we ird "name"\t.txt'
    assert placed[blobs["unicode"]].path == "dir/café.env"
    assert placed[blobs["main"]].paths == 2  # main.env, then moved.env
    # the pygit2 walk (used when git log fails) replays to the same placements
    wanted = {b.encode() for b in blobs.values()}
    assert _replay(_walk_records(repo, tips, [], wanted), wanted) == placed


def test_hidden_commits_bound_the_log(tmp_path: Path) -> None:
    r, blobs = _history(tmp_path)
    repo = pygit2.Repository(str(r.root))
    log = HistoryLog(repo, str(r.root / ".git"), [r.head()], [r.git("rev-parse", "main~1")])
    placed = log.placements(set(blobs.values()))
    log.close()
    # only the last commit is in scope: it sets a.env back to "one" and adds moved.env
    assert set(placed) == {blobs["one"], blobs["main"]}
    assert placed[blobs["one"]].commit == r.head()
    assert placed[blobs["one"]].commits == 1
