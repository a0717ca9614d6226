"""`sweep` stays inside its root: homes, repositories and outputs that lead out are refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from filescan import Row, row, scan_items, shared_scanner
from gitrepo import GitRepo, uri

from pgsweep.core.models import Finding, ScanStats
from pgsweep.core.options import ScanOptions
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.sweep import SweepSource

OUT = "leads out of the root (not read)"


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return shared_scanner()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def history(password: str, user: str = "app") -> str:
    return f"psql {uri(user, password)}\n"


def sweep(
    scanner: Scanner, root: Path, repos: bool = False,
) -> tuple[SweepSource, list[Finding], ScanStats]:
    source = SweepSource(root, ScanOptions(path=str(root)), repos=repos)
    found, stats = scan_items(scanner, source.iter_items())
    return source, found, stats


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path, str]:
    """A root whose passwd, home symlink and PGPASSFILE point at a victim folder outside."""
    root, outside = tmp_path / "image", tmp_path / "host"
    victim = outside / "victim"
    write(victim / ".bash_history", history(make_password(), "victim"))
    write(victim / ".pgpass", f"db.corp.net:5432:*:victim:{make_password()}\n")
    write(root / "etc/passwd",
          "root:x:0:0:root:/root:/bin/bash\n"
          "eve:x:1000:1000::/home/../../host/victim:/bin/bash\n"
          "bob:x:1001:1001::/home/bob:/bin/bash\n")
    (root / "home").mkdir(parents=True)
    (root / "home/mallory").symlink_to(victim)
    (root / "home/bob").mkdir()
    (root / "srv").symlink_to(outside)  # a folder on the way out
    kept = make_password()
    write(root / "home/bob/.bash_history", history(kept, "bob"))
    write(root / "home/bob/.bashrc",
          f"export PGPASSFILE={victim}/.pgpass\n")  # absolute: the image's, not the host's
    write(root / "home/bob/.zshrc", "export PGPASSFILE=$HOME/../../../host/victim/.pgpass\n")
    return root, victim, kept


def test_homes_and_pgpassfiles_that_lead_out_are_counted_skips(
    scanner: Scanner, hostile: tuple[Path, Path, str]
) -> None:
    root, _victim, kept = hostile
    source, found, stats = sweep(scanner, root)
    assert [h.user for h in source.homes] == ["bob"]
    assert [row(f) for f in found] == [
        row_of(root / "home/bob/.bash_history", "bob", kept)]
    escapes = sorted(w for w in stats.warnings if OUT in w)
    assert escapes == sorted([
        f"{root}/home/../../host/victim (home of eve): home {OUT}",
        f"{root}/home/mallory (home of mallory): home {OUT}",
        f"{root}/home/bob/../../../host/victim/.pgpass: PGPASSFILE in "
        f"{root}/home/bob/.zshrc {OUT}",
    ])


def row_of(path: Path, user: str, secret: str) -> Row:
    return Row(str(path), 1, user, "db.prod.acme-corp.net", secret, "app")


def test_a_folder_on_the_way_out_is_not_walked(scanner: Scanner, tmp_path: Path) -> None:
    root, outside = tmp_path / "image", tmp_path / "host"
    write(outside / "pg/15/main/postgresql.auto.conf",
          f"primary_conninfo = 'user=r password={make_password()} host=p.corp.net'\n")
    (root / "var/lib").mkdir(parents=True)
    (root / "var/lib/postgresql").symlink_to(outside / "pg")  # a home by convention
    (root / "etc").mkdir()
    (root / "etc/postgresql").symlink_to(outside)  # a system location's folder
    source, found, stats = sweep(scanner, root)
    assert found == []
    assert source.homes == []
    assert sorted(stats.warnings) == sorted([
        f"{root}/var/lib/postgresql (home of postgres): home {OUT}",
        f"{root}/var/lib/postgresql: folder {OUT}",  # where the data directory is looked for
        f"{root}/etc/postgresql: folder {OUT}",
    ])


def _outside_repo(tmp_path: Path) -> tuple[GitRepo, str]:
    out = GitRepo(tmp_path / "host" / "secret-repo")
    pw = make_password()
    out.write("app.env", f"DATABASE_URL={uri('outside', pw)}\n")
    out.commit("outside the image")
    return out, pw


@pytest.mark.parametrize("case, reason", [
    ("gitfile", ".git file names a git folder that " + OUT),
    ("symlink", ".git " + OUT),
    ("alternates", "alternates name an object folder that " + OUT),
    ("objects-symlink", "a file of the git folder " + OUT),
    ("include", "git config includes a file that " + OUT),
])
def test_repositories_whose_git_data_is_outside_are_not_read(
    scanner: Scanner, tmp_path: Path, case: str, reason: str
) -> None:
    outside, _secret = _outside_repo(tmp_path)
    root = tmp_path / "image"
    project = root / "home/bob/project"
    if case == "gitfile":
        write(project / ".git", f"gitdir: {outside.root / '.git'}\n")
    elif case == "symlink":
        project.mkdir(parents=True)
        (project / ".git").symlink_to(outside.root / ".git")
    else:
        inner = GitRepo(project)
        inner.commit("empty")
        git_dir = project / ".git"
        if case == "alternates":
            write(git_dir / "objects/info/alternates", f"{outside.root / '.git/objects'}\n")
            inner.git("update-ref", "refs/heads/borrowed", outside.head())
        elif case == "objects-symlink":
            (git_dir / "objects/pack").rename(git_dir / "objects/pack.old")
            (git_dir / "objects/pack").symlink_to(outside.root / ".git/objects/pack")
        else:
            write(outside.root / "extra.cfg", "[user]\n\tname = x\n")
            with open(git_dir / "config", "a") as fh:
                fh.write(f"[include]\n\tpath = {outside.root / 'extra.cfg'}\n")
    source, found, stats = sweep(scanner, root, repos=True)
    assert [f.secret for f in found] == []
    assert stats.warnings == [f"{project}: git: history not scanned: {reason}"]
    assert [s.repos for s in source.summaries(found) if s.user == "bob"] == [1]


def test_a_repository_inside_the_root_is_still_scanned(scanner: Scanner, tmp_path: Path) -> None:
    """A linked worktree's .git file and a gitdir elsewhere inside the root are fine."""
    root = tmp_path / "image"
    main = GitRepo(root / "home/bob/main")
    pw = make_password()
    main.write("app.env", f"DATABASE_URL={uri('inside', pw)}\n")
    main.commit("one")
    main.git("worktree", "add", "-q", str(root / "home/bob/wt"), "-b", "side")
    _source, found, stats = sweep(scanner, root, repos=True)
    assert {(f.provenance.path, f.secret) for f in found} == {("app.env", pw)}
    assert [w for w in stats.warnings if "git" in w] == []


def test_a_repository_that_cannot_be_opened_makes_the_sweep_incomplete(
    scanner: Scanner, tmp_path: Path,
) -> None:
    """A repository the sweep found and could not read is no clean bill; the rest of the
    home is still read."""
    root = tmp_path / "image"
    pw = make_password()
    write(root / "home/bob/.bash_history", history(pw, "bob"))
    project = root / "home/bob/project"
    write(project / ".git", "not a gitdir line\n")
    _source, found, stats = sweep(scanner, root, repos=True)
    assert [(f.user, f.secret) for f in found] == [("bob", pw)]
    assert stats.incomplete == [f"{project}: git: history not scanned (SourceError)"]


# --------------------------------------------------------------------------- outputs
@pytest.mark.parametrize("what", ["--output", "--store"])
@pytest.mark.parametrize("link", ["existing", "dangling"])
def test_outputs_given_as_symlinks_into_the_root_are_refused(
    tmp_path: Path, what: str, link: str
) -> None:
    root = tmp_path / "image"
    write(root / "home/bob/.bash_history", history(make_password(), "bob"))
    target = root / "home/bob/planted.out"
    if link == "existing":
        target.write_text("")
    before = sorted(p.name for p in (root / "home/bob").iterdir())
    alias = tmp_path / "case" / "out.json"
    alias.parent.mkdir()
    alias.symlink_to(target)
    res = run_cli("sweep", "--root", str(root), what, str(alias), "--format", "json")
    assert res.returncode == 2, res.stderr
    assert res.stderr == (
        f"pgsweep: error: {alias}: refusing to write inside the swept root (it is read-only)\n")
    assert sorted(p.name for p in (root / "home/bob").iterdir()) == before
    assert target.read_text() == "" if link == "existing" else not target.exists()


def test_a_sweep_writes_nothing_under_its_root(tmp_path: Path) -> None:
    root = tmp_path / "image"
    write(root / "home/bob/.bash_history", history(make_password(), "bob"))
    snapshot = subprocess.run(["find", str(root), "-printf", "%p %s %T@\n"],
                              capture_output=True, text=True, check=True).stdout
    out = tmp_path / "case-42" / "sweep.json"
    res = run_cli("sweep", "--root", str(root), "--format", "json", "-o", str(out),
                  "--store", str(tmp_path / "case.db"), cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert out.is_file()
    assert subprocess.run(["find", str(root), "-printf", "%p %s %T@\n"],
                          capture_output=True, text=True, check=True).stdout == snapshot
