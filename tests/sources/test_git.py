"""The git source on real repositories: what is scanned, what is skipped, and attribution."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import make_password
from gitrepo import AUTHOR, EMAIL, GitRepo, date_of, uri
from provenances import git_of

from pgsweep.core.models import FileProvenance, Finding, GitProvenance
from pgsweep.core.options import ScanOptions
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner, ScanResult
from pgsweep.sources.git import GitSource
from pgsweep.sources.interface import SourceError

PERSON = f"{AUTHOR} <{EMAIL}>"


def scan(root: Path, signatures: list[Signature], **options: Any) -> ScanResult:
    source = GitSource(root, ScanOptions(path=str(root), **options))
    return Scanner(signatures).run(source)


def where(f: Finding) -> tuple[Any, ...]:
    """Everything a git finding says about its place, plus who and what."""
    p = f.provenance
    assert isinstance(p, GitProvenance)
    return (p.path, f.line, f.user, f.host, f.secret, p.commit, p.author, p.date,
            p.present_at_head, p.reachable)


def by_secret(result: ScanResult) -> dict[str, Finding]:
    out = {f.secret: f for f in result.findings}
    assert len(out) == len(result.findings), "one finding per planted secret"
    return out


@pytest.fixture
def history(tmp_path: Path) -> tuple[GitRepo, dict[str, str], dict[str, str]]:
    """Branches, a tag, a rename, a leak deleted later, stashes, a dangling commit and blob."""
    pw = {k: make_password() for k in (
        "settings", "deleted", "feature", "tagged", "stash1", "stash2", "untracked",
        "dangling", "loose", "binary", "big", "note")}
    r = GitRepo(tmp_path / "repo")
    r.write("README.md", "# demo\n")
    r.write("config/settings.py",
            f"DEBUG = False\n\nDATABASE_URL = '{uri('app', pw['settings'])}'\n")
    c1 = r.commit("settings")
    (r.root / "app").mkdir()
    r.git("mv", "config/settings.py", "app/settings.py")
    c2 = r.commit("move settings")
    r.write("deploy/old.env", f"# old\nDB={uri('deployer', pw['deleted'], 'old.acme-corp.net')}\n")
    c3 = r.commit("deploy env")
    r.git("rm", "-q", "deploy/old.env")
    r.commit("remove leaked env")
    r.write("assets/logo.bin", b"\x89PNG\x00\x00" + uri("bin", pw["binary"]).encode() + b"\n")
    r.write("data/dump.sql", "-- big\n" + "x" * 5000 + f"\n{uri('big', pw['big'])}\n")
    r.commit("assets")
    main_tip = r.head()

    r.git("checkout", "-q", "-b", "feature")
    r.write("feature/db.yml", f"url: {uri('feat', pw['feature'], 'feat.acme-corp.net')}\n")
    c_feature = r.commit("feature work")
    r.git("checkout", "-q", "-b", "release-tmp", "main")
    r.write("release.txt", f"\n\n{uri('rel', pw['tagged'])}\n")
    c_tagged = r.commit("release")
    r.git("tag", "-a", "-m", "v1", "v1.0")
    r.git("checkout", "-q", "main")
    r.git("branch", "-q", "-D", "release-tmp")

    r.write("README.md", f"# demo\n{uri('stash', pw['stash1'])}\n")
    r.git("stash", "push", "-q")
    r.write("README.md", f"# demo\n\n{uri('stash', pw['stash2'])}\n")
    r.write("scratch.txt", f"{uri('scratch', pw['untracked'])}\n")
    r.git("stash", "push", "-q", "-u")

    r.write("oops.txt", f"{uri('oops', pw['dangling'])}\n")
    c_dangling = r.commit("oops")
    r.git("reset", "-q", "--hard", "HEAD~1")
    loose = r.root / "loose.txt"
    loose.write_text(f"{uri('loose', pw['loose'])}\n")
    loose_blob = r.git("hash-object", "-w", "loose.txt")
    loose.unlink()
    r.git("notes", "add", "-m", f"deployed with {uri('notes', pw['note'])}", main_tip)
    assert r.head() == main_tip
    return r, pw, {"c1": c1, "c2": c2, "c3": c3, "feature": c_feature, "tagged": c_tagged,
                   "dangling": c_dangling, "main": main_tip, "loose": loose_blob}


def test_every_ref_and_the_stash_is_scanned_and_attributed(
    history: tuple[GitRepo, dict[str, str], dict[str, str]], all_signatures: list[Signature]
) -> None:
    r, pw, c = history
    result = scan(r.root, all_signatures, max_blob_size=4096)
    found = by_secret(result)
    assert set(found) == {pw[k] for k in (
        "settings", "deleted", "feature", "tagged", "stash1", "stash2", "untracked", "note")}
    d = date_of
    host = "db.prod.acme-corp.net"
    # A rename keeps the blob: introduced by c1 at its first path.
    assert where(found[pw["settings"]]) == (
        "config/settings.py", 3, "app", host, pw["settings"], c["c1"], PERSON, d(1),
        True, True)
    # Deleted later: still in history, not at the tip.
    assert where(found[pw["deleted"]]) == (
        "deploy/old.env", 2, "deployer", "old.acme-corp.net", pw["deleted"], c["c3"], PERSON,
        d(3), False, True)
    assert where(found[pw["feature"]])[:9] == (
        "feature/db.yml", 1, "feat", "feat.acme-corp.net", pw["feature"], c["feature"], PERSON,
        d(6), False)
    assert where(found[pw["tagged"]])[:9] == (
        "release.txt", 3, "rel", host, pw["tagged"], c["tagged"], PERSON, d(7), False)
    # stash@{1}, the stash's tip, and its untracked-files commit.
    assert where(found[pw["stash1"]])[:4] == ("README.md", 2, "stash", host)
    assert where(found[pw["stash2"]])[:4] == ("README.md", 3, "stash", host)
    assert where(found[pw["untracked"]])[:4] == ("scratch.txt", 1, "scratch", host)
    for key in ("stash1", "stash2", "untracked"):
        p = git_of(found[pw[key]])
        assert p.commit is not None and p.present_at_head is False and p.author == PERSON
    # a git note (refs/notes/commits) is a blob too
    assert found[pw["note"]].provenance.path == c["main"]
    assert result.stats.skipped == {"binary": 1, "too large": 1}
    # Stats count what was read and scanned: every blob of every ref and stash entry,
    # listed here by git itself, less the binary and the oversize one.
    listed = r.git("rev-list", "--objects", "--all", "stash@{1}", "--filter=object:type=blob",
                   "--filter-provided-objects").split("\n")
    blobs = {line.split(" ", 1)[0] for line in listed} - {
        r.blob("main:assets/logo.bin"), r.blob("main:data/dump.sql")}
    assert result.stats.blobs == len(blobs)
    assert result.stats.bytes == sum(int(r.git("cat-file", "-s", b)) for b in blobs)


def test_unreachable_adds_dangling_commits_and_blobs(
    history: tuple[GitRepo, dict[str, str], dict[str, str]], all_signatures: list[Signature]
) -> None:
    r, pw, c = history
    default = by_secret(scan(r.root, all_signatures))
    assert pw["dangling"] not in default and pw["loose"] not in default
    found = by_secret(scan(r.root, all_signatures, unreachable=True))
    assert pw["binary"] not in found  # binary stays skipped
    assert where(found[pw["dangling"]]) == (
        "oops.txt", 1, "oops", "db.prod.acme-corp.net", pw["dangling"], c["dangling"], PERSON,
        date_of(8), False, False)
    loose = git_of(found[pw["loose"]])
    assert (loose.blob, loose.path, loose.commit, loose.reachable) == (
        c["loose"], None, None, False)
    assert git_of(found[pw["settings"]]).reachable is True


def test_each_blob_is_read_once(tmp_path: Path, all_signatures: list[Signature]) -> None:
    """The same content in many commits and paths is one blob: scanned once, one finding."""
    pw = make_password()
    r = GitRepo(tmp_path / "repo")
    r.write("a/conf.env", f"DB={uri('app', pw)}\n")
    r.commit("one")
    for i in range(5):
        r.write(f"copy{i}/conf.env", f"DB={uri('app', pw)}\n")
        r.write("counter.txt", str(i))
        r.commit(f"copy {i}")
    result = scan(r.root, all_signatures)
    assert len(result.findings) == 1
    p = git_of(result.findings[0])
    root = r.git("rev-list", "--max-parents=0", "HEAD")
    assert (p.path, p.commit, p.present_at_head) == ("a/conf.env", root, True)
    assert result.stats.blobs == 1 + 5  # the leak, and counter.txt's five versions


def test_since_scans_only_new_commits(tmp_path: Path, all_signatures: list[Signature]) -> None:
    r = GitRepo(tmp_path / "repo")
    old = make_password()
    r.write("settings.py", f"URL = '{uri('old', old)}'\n")
    for i in range(40):
        r.write(f"src/mod{i % 7}.py", f"VALUE = {i}\n")
        r.commit(f"work {i}")
    base = r.head()
    new = make_password()
    r.write("src/mod3.py", f"VALUE = 3\nDSN = '{uri('new', new)}'\n")
    c_new = r.commit("new leak")
    result = scan(r.root, all_signatures, since=base)
    assert [where(f) for f in result.findings] == [(
        "src/mod3.py", 2, "new", "db.prod.acme-corp.net", new, c_new, PERSON,
        date_of(41), True, True)]
    assert result.stats.blobs == 1  # the one new blob, not the history
    ranged = scan(r.root, all_signatures, commit_range=f"{base}..{c_new}")
    assert [f.secret for f in ranged.findings] == [new]
    assert by_secret(scan(r.root, all_signatures)).keys() == {old, new}


def test_since_walks_the_checked_out_history_not_every_ref(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    """`--since REV` is `git log REV..HEAD`: a branch that is not checked out is not new."""
    r = GitRepo(tmp_path / "repo")
    r.write("README.md", "# app\n")
    base = r.commit("base")
    elsewhere, here = make_password(), make_password()
    r.git("checkout", "-q", "-b", "feature")
    r.write("feature.env", f"DB={uri('feature', elsewhere)}\n")
    r.commit("feature work")
    r.git("checkout", "-q", "main")
    r.write("app.env", f"\nDB={uri('app', here)}\n")
    c_here = r.commit("main work")
    result = scan(r.root, all_signatures, since=base)
    assert [(git_of(f).path, f.line, f.user, f.secret, git_of(f).commit)
            for f in result.findings] == [("app.env", 2, "app", here, c_here)]
    assert result.stats.blobs == 1


def test_staged_scans_index_changes_only(tmp_path: Path, all_signatures: list[Signature]) -> None:
    r = GitRepo(tmp_path / "repo")
    committed, staged, unstaged = make_password(), make_password(), make_password()
    r.write("app.env", f"DB={uri('app', committed)}\n")
    r.commit("first")
    r.write("new.env", f"\nDB={uri('staged', staged)}\n")
    r.git("add", "new.env")
    r.write("later.env", f"DB={uri('later', unstaged)}\n")
    result = scan(r.root, all_signatures, staged=True)
    got = [(git_of(f).path, f.line, f.secret, git_of(f).commit) for f in result.findings]
    assert got == [("new.env", 2, staged, None)]


def test_staged_before_the_first_commit(tmp_path: Path, all_signatures: list[Signature]) -> None:
    r = GitRepo(tmp_path / "repo")
    pw = make_password()
    r.write("app.env", f"DB={uri('app', pw)}\n")
    r.git("add", "app.env")
    result = scan(r.root, all_signatures, staged=True)
    assert [(f.provenance.path, f.secret) for f in result.findings] == [("app.env", pw)]


def test_worktree_adds_uncommitted_and_untracked_not_ignored(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    r = GitRepo(tmp_path / "repo")
    committed, modified, untracked, ignored = (make_password() for _ in range(4))
    r.write(".gitignore", "*.secret\n")
    r.write("app.env", f"DB={uri('app', committed)}\n")
    r.commit("first")
    r.write("app.env", f"DB={uri('app', modified)}\n")
    r.write("notes.txt", f"{uri('notes', untracked)}\n")
    r.write("local.secret", f"{uri('ign', ignored)}\n")
    result = scan(r.root, all_signatures, worktree=True)
    files = sorted((Path(f.provenance.path).name, f.secret) for f in result.findings
                   if isinstance(f.provenance, FileProvenance))
    assert files == sorted([("app.env", modified), ("notes.txt", untracked)])
    assert {f.secret for f in result.findings if isinstance(f.provenance, GitProvenance)} == {
        committed}


def test_shallow_clone_is_scanned_with_a_warning(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    r = GitRepo(tmp_path / "repo")
    old, new = make_password(), make_password()
    r.write("a.env", f"DB={uri('old', old)}\n")
    r.commit("old")
    r.write("a.env", f"DB={uri('new', new)}\n")
    r.commit("new")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{r.root}", str(clone)],
                   check=True, capture_output=True)
    result = scan(clone, all_signatures)
    assert [f.secret for f in result.findings] == [new]
    assert result.stats.notices == [
        f"{clone}: shallow repository: history before the shallow boundary is not scanned"]


def test_corrupt_and_missing_objects_are_skipped_not_fatal(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    r = GitRepo(tmp_path / "repo")
    pws = [make_password() for _ in range(3)]
    for i, pw in enumerate(pws):
        r.write(f"f{i}.env", f"DB={uri(f'u{i}', pw)}\n" + f"# {i}\n" * 2000)
    r.commit("three")
    bad_header, truncated = r.blob("HEAD:f0.env"), r.blob("HEAD:f1.env")
    for oid, damage in ((bad_header, b"garbage"), (truncated, None)):
        obj = r.root / ".git" / "objects" / oid[:2] / oid[2:]
        raw = obj.read_bytes()
        obj.chmod(0o644)
        obj.write_bytes(damage if damage is not None else raw[: len(raw) // 2])
    result = scan(r.root, all_signatures)
    assert [f.secret for f in result.findings] == [pws[2]]
    assert result.stats.skipped == {"missing or corrupt object": 1, "corrupt object": 1}
    assert sorted(result.stats.incomplete) == sorted([
        f"f0.env (blob {bad_header[:12]}): missing or corrupt object",
        f"f1.env (blob {truncated[:12]}): corrupt object"])


def test_missing_blob_in_partial_clone_is_counted(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    r = GitRepo(tmp_path / "repo")
    small, big = make_password(), make_password()
    r.write("small.env", f"DB={uri('small', small)}\n")
    r.write("big.env", f"DB={uri('big', big)}\n" + "#\n" * 5000)
    r.commit("two")
    r.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", "--no-checkout", "--filter=blob:limit=1k",
                    f"file://{r.root}", str(clone)], check=True, capture_output=True)
    result = scan(clone, all_signatures)
    assert [f.secret for f in result.findings] == [small]
    assert result.stats.skipped == {"missing object (partial clone: not fetched)": 1}
    assert result.stats.incomplete == []  # promised by the remote: left out on purpose


def test_bare_repository(tmp_path: Path, all_signatures: list[Signature]) -> None:
    r = GitRepo(tmp_path / "repo")
    pw = make_password()
    r.write("a.env", f"DB={uri('app', pw)}\n")
    r.commit("one")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(r.root), str(bare)], check=True)
    assert [f.secret for f in scan(bare, all_signatures).findings] == [pw]


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file or directory"),
    ("broken", "not a git repository"),
    ("bad-rev", "nope: unknown revision"),
    ("bare-staged", "--staged needs a working tree (this is a bare repository)"),
])
def test_whole_source_errors_are_one_line(tmp_path: Path, case: str, message: str) -> None:
    path = tmp_path / "r"
    opts: dict[str, Any] = {}
    if case == "broken":
        path.mkdir()
        (path / ".git").write_text("gitdir: /nonexistent\n")
    elif case == "bare-staged":
        GitRepo(path, bare=True)
        opts = {"staged": True}
    elif case == "bad-rev":
        r = GitRepo(path)
        r.commit("empty")
        opts = {"since": "nope"}
    with pytest.raises(SourceError, match=re.escape(message)) as err:
        GitSource(path, ScanOptions(path=str(path), **opts))
    assert "\n" not in str(err.value)


def test_redacted_secret_is_what_reporters_show(
    history: tuple[GitRepo, dict[str, str], dict[str, str]], all_signatures: list[Signature]
) -> None:
    r, pw, _ = history
    f = by_secret(scan(r.root, all_signatures))[pw["settings"]]
    assert redact(f.secret) == f"{pw['settings'][:2]}…{pw['settings'][-2:]} (16 chars)"


def test_exclude_tips_skips_what_an_earlier_scan_covered(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    """The store's incremental rescan passes the tips it scanned before."""
    r = GitRepo(tmp_path / "repo")
    old, new = make_password(), make_password()
    r.write("a.env", f"DB={uri('old', old)}\n")
    r.commit("old")
    source = GitSource(r.root, ScanOptions(path=str(r.root)))
    tips = source.tips()
    assert tips == [r.head()]
    r.write("b.env", f"DB={uri('new', new)}\n")
    c_new = r.commit("new")
    result = scan(r.root, all_signatures, exclude_tips=tuple(tips))
    assert [where(f)[:6] for f in result.findings] == [
        ("b.env", 1, "new", "db.prod.acme-corp.net", new, c_new)]
    assert result.stats.blobs == 1


def test_corrupt_tree_is_a_warning_and_the_rest_is_scanned(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    r = GitRepo(tmp_path / "repo")
    hidden, kept = make_password(), make_password()
    r.write("sub/a.env", f"DB={uri('hidden', hidden)}\n")
    r.write("b.env", f"DB={uri('kept', kept)}\n")
    c1 = r.commit("one")
    tree = r.blob("HEAD:sub")
    obj = r.root / ".git" / "objects" / tree[:2] / tree[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    result = scan(r.root, all_signatures)
    assert [where(f)[:6] for f in result.findings] == [
        ("b.env", 1, "kept", "db.prod.acme-corp.net", kept, c1)]
    (notice,) = result.stats.notices
    assert notice.startswith(f"{r.root}: git rev-list failed (")


def test_parallel_shards_find_exactly_what_one_process_finds(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    """Worker processes each read every n-th blob; together they equal the serial scan."""
    from pgsweep.core.options import ScanOptions
    from pgsweep.findings.pipeline import Scanner
    from pgsweep.sources.git import GitSource

    repo, planted = build_leaky_history(tmp_path)
    opts = ScanOptions(path=str(repo))
    serial = Scanner(all_signatures).run(GitSource(repo, opts, parallel_min_objects=0), jobs=1)
    parallel = Scanner(all_signatures).run(GitSource(repo, opts, parallel_min_objects=0), jobs=3)
    assert GitSource(repo, opts, parallel_min_objects=0).shards(3) is not None
    assert GitSource(repo, opts).shards(3) is None  # a small history: one process
    def key(r: ScanResult) -> list[tuple[object, ...]]:
        return sorted((f.id, f.line, git_of(f).path, git_of(f).commit, f.fingerprint,
                       f.credential) for f in r.findings)

    # the workers' provisional fingerprints are replaced by the real ones, ids and all
    assert key(parallel) == key(serial)
    assert sorted(parallel.credentials, key=lambda c: c.id) == sorted(
        serial.credentials, key=lambda c: c.id)
    assert {f.secret for f in serial.findings} == planted
    assert parallel.stats.blobs == serial.stats.blobs
    assert parallel.stats.bytes == serial.stats.bytes


def build_leaky_history(tmp: Path, commits: int = 12) -> tuple[Path, set[str]]:
    repo = tmp / "repo"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x.test", "GIT_COMMITTER_NAME": "A",
           "GIT_COMMITTER_EMAIL": "a@x.test", "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    planted: set[str] = set()
    for i in range(commits):
        pw = make_password()
        planted.add(pw)
        (repo / f"settings_{i}.py").write_text(
            f'DB = "postgresql://app{i}:{pw}@db{i}.corp.net:5432/prod"\n' + "x = 1\n" * i
        )
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(repo), "commit", "-qm", f"c{i}"], check=True, env=env)
    return repo, planted


def test_parallel_progress_counts_the_workers_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, all_signatures: list[Signature]
) -> None:
    """The workers' live counters reach the parent: the last progress report before the
    result holds every blob and byte, with the listing's total for the ETA."""
    import pgsweep.findings.parallel as parallel_mod
    from pgsweep.cli.progress import progress_line
    from pgsweep.core.models import ScanStats
    from pgsweep.core.options import ScanOptions
    from pgsweep.findings.pipeline import Scanner
    from pgsweep.sources.git import GitSource

    repo, _ = build_leaky_history(tmp_path)
    # workers then report only when their share ends: the final counts must still arrive
    monkeypatch.setattr(parallel_mod, "PROGRESS_SECONDS", 3600.0)
    seen: list[tuple[int, int, int, int]] = []

    def progress(stats: ScanStats) -> None:
        seen.append((stats.chunks, stats.blobs, stats.bytes, stats.planned_blobs))

    result = Scanner(all_signatures).run(
        GitSource(repo, ScanOptions(path=str(repo)), parallel_min_objects=0), progress=progress,
        jobs=2)
    assert seen, "no progress reported"
    assert seen == sorted(seen)  # counters only grow
    assert seen[-1] == (result.stats.chunks, result.stats.blobs, result.stats.bytes, 12)
    line = progress_line(ScanStats(blobs=3, bytes=2_500_000, findings=1, planned_blobs=12), 2.0)
    assert line == "3/12 blobs · 2.5 MB · 1.2 MB/s · 1 findings · ETA 0:06"


def test_parallel_and_serial_scans_give_their_warnings_in_one_order(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    """A scan's warnings come in path order, however the blobs were shared out."""
    r = GitRepo(tmp_path / "repo")
    names = [f"{d}/{n}.bin" for d in ("zeta", "alpha", "mid") for n in ("q", "b", "k", "a")]
    for i, name in enumerate(names):
        r.write(name, bytes([0, 1, 2, i]) * 64)
        r.commit(f"add {name}")
    opts = ScanOptions(path=str(r.root))
    serial = Scanner(all_signatures).run(GitSource(r.root, opts, parallel_min_objects=0), jobs=1)
    parallel = Scanner(all_signatures).run(GitSource(r.root, opts, parallel_min_objects=0), jobs=3)
    expected = sorted(f"{name} (blob {r.blob(f'HEAD:{name}')[:12]}): binary" for name in names)
    assert serial.stats.warnings == expected
    assert parallel.stats.warnings == expected
