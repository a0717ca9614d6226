"""The staged changes read with git's commands (`StagedSource`, `iter_staged`): what a
pre-commit scan reads, and that it reads it as the full git source did."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from gitrepo import GitRepo, staged_changes_repo, uri

from pgsweep.core.models import Chunk, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.git import GitSource
from pgsweep.sources.git_staged import StagedSource, iter_staged
from pgsweep.sources.interface import SourceError
from pgsweep.sources.select import open_source


def _shown(items: list[Chunk | Skipped]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if isinstance(item, Skipped):
            out.append((item.where, item.reason))
        else:
            assert isinstance(item.provenance, GitProvenance)
            out.append((item.provenance.path or "", item.data.decode()))
    return out


def _git_dir(r: GitRepo) -> str:
    return str((r.root / ".git").resolve())


def test_staged_reads_index_blobs_that_differ_from_the_tip(tmp_path: Path) -> None:
    r = staged_changes_repo(tmp_path / "repo")
    items = list(iter_staged(r.root, _git_dir(r), "repo", r.head(), Excludes(("skip/",)), 50))
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
    r = staged_changes_repo(tmp_path / "repo")
    shown = _shown(list(iter_staged(r.root, _git_dir(r), "repo", None, Excludes(()), 1000)))
    assert [path for path, _ in shown] == [
        ".gitignore", "big.env", "bin.dat (staged)", "changed.env", "copy.env", "kept.env",
        "skip/me.env"]


def test_a_staged_submodule_commit_is_not_read(tmp_path: Path) -> None:
    r = staged_changes_repo(tmp_path / "repo")
    # the submodule's commit is in the submodule's repository, not in this one
    r.git("update-index", "--add", "--cacheinfo", f"160000,{'5e' * 20},vendor/lib")
    shown = _shown(list(iter_staged(r.root, _git_dir(r), "repo", r.head(), Excludes(()), 50)))
    assert sorted(shown) == [
        ("big.env (staged)", "too large"),
        ("bin.dat (staged)", "binary"),
        ("changed.env", "after\n"),
        ("copy.env", "new\n"),
        ("skip/me.env", "excluded\n"),
    ]


def test_a_corrupt_staged_blob_makes_the_scan_incomplete(tmp_path: Path) -> None:
    r = staged_changes_repo(tmp_path / "repo")
    oid = r.git("rev-parse", ":changed.env")
    obj = r.root / ".git" / "objects" / oid[:2] / oid[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    items = list(iter_staged(r.root, _git_dir(r), "repo", r.head(), Excludes(()), 50))
    assert [i for i in items if isinstance(i, Skipped) and i.incomplete] == [
        Skipped("changed.env (staged)", "missing object", incomplete=True)]


def test_only_a_staged_scan_is_read_without_libgit2(tmp_path: Path) -> None:
    r = staged_changes_repo(tmp_path / "repo")
    path = str(r.root)
    assert isinstance(open_source(ScanOptions(path=path, staged=True)), StagedSource)
    for extra in ({"worktree": True}, {"unreachable": True}, {"since": "HEAD"}, {}):
        assert isinstance(open_source(ScanOptions(path=path, staged=bool(extra), **extra)),
                          GitSource)


def _staged_scan(root: Path, signatures: list[Signature], source: type) -> list[object]:
    result = Scanner(signatures).run(source(root, ScanOptions(path=str(root), staged=True)))
    out: list[object] = []
    for f in result.findings:
        p = f.provenance
        assert isinstance(p, GitProvenance)
        out.append((p.path, f.line, f.user, f.secret, p.commit, p.author, p.date,
                    p.present_at_head))
    return [*out, *result.stats.notices]


@pytest.mark.parametrize("source", [StagedSource, GitSource])
def test_staged_findings_and_their_place_at_the_tip(
    tmp_path: Path, all_signatures: list[Signature], source: type
) -> None:
    """A staged copy of a committed password is at the tip; a new one is not. Both sources
    say the same."""
    r = GitRepo(tmp_path / "repo")
    old, new = make_password(), make_password()
    r.write("app.env", f"DB={uri('app', old)}\n")
    r.commit("first")
    r.write("copy/app.env", f"DB={uri('app', old)}\n")
    r.write("new.env", f"\nDB={uri('new', new)}\n")
    r.git("add", "-A")
    assert _staged_scan(r.root, all_signatures, source) == [
        ("copy/app.env", 1, "app", old, None, None, None, True),
        ("new.env", 2, "new", new, None, None, None, False),
    ]


@pytest.mark.parametrize("source", [StagedSource, GitSource])
def test_staged_before_the_first_commit_and_in_a_shallow_clone(
    tmp_path: Path, all_signatures: list[Signature], source: type
) -> None:
    r = GitRepo(tmp_path / "repo")
    pw = make_password()
    r.write("app.env", f"DB={uri('app', pw)}\n")
    r.git("add", "app.env")
    assert _staged_scan(r.root, all_signatures, source) == [
        ("app.env", 1, "app", pw, None, None, None, False)]
    r.commit("first")
    r.commit("second")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{r.root}", str(clone)],
                   check=True, capture_output=True)
    (clone / "more.env").write_text(f"DB={uri('more', pw)}\n")
    subprocess.run(["git", "-C", str(clone), "add", "more.env"], check=True)
    assert _staged_scan(clone, all_signatures, source) == [
        ("more.env", 1, "more", pw, None, None, None, False),
        f"{clone}: shallow repository: history before the shallow boundary is not scanned"]


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file or directory"),
    ("broken", "not a git repository"),
    ("bare", "--staged needs a working tree (this is a bare repository)"),
])
def test_whole_source_errors_are_one_line(tmp_path: Path, case: str, message: str) -> None:
    path = tmp_path / "r"
    if case == "broken":
        path.mkdir()
        (path / ".git").write_text("gitdir: /nonexistent\n")
    elif case == "bare":
        GitRepo(path, bare=True)
    with pytest.raises(SourceError, match=re.escape(f"{path}: {message}")) as err:
        StagedSource(path, ScanOptions(path=str(path), staged=True))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("mode", [(), ("--staged",), ("--worktree",), ("--unreachable",)])
def test_a_repository_s_fsmonitor_command_is_never_run(
    tmp_path: Path, mode: tuple[str, ...],
) -> None:
    """`core.fsmonitor` names a program git runs when it looks at the working tree; a
    repository handed over for scanning must not get to run anything."""
    pw = make_password()
    r = GitRepo(tmp_path / "repo")
    r.write("app.env", f"DATABASE_URL={uri('app', pw)}\n")
    r.commit("first")
    r.write("new.env", f"DATABASE_URL={uri('new', pw)}\n")
    r.git("add", "new.env")
    ran = tmp_path / "fsmonitor-ran"
    r.git("config", "core.fsmonitor", f"touch {ran}; false")
    res = run_cli("scan", str(r.root), *mode, "--no-store", "-f", "json")
    assert res.returncode == 1, res.stderr
    assert not ran.exists()
