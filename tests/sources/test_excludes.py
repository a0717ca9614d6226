"""`--exclude` and the config's `exclude` follow gitignore rules, in folders and git history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from filescan import shared_scanner
from gitrepo import GitRepo

from pgsweep.core.models import provenance_path
from pgsweep.core.options import ScanOptions
from pgsweep.sources.excludes import ExcludeError, Excludes
from pgsweep.sources.select import open_source

PATTERNS = ("*.lock", "/top.env", "build/", "docs/**/secret.txt", "vendor",
            "logs/*.env", "!logs/keep.env")
# path -> the user of the URI planted there
FILES = {
    "app/settings.env": "kept",
    "app/deps.lock": "lockfile",             # *.lock, at any depth
    "top.env": "top",                        # /top.env is anchored at the root ...
    "app/top.env": "nestedtop",              # ... so this one stays
    "build/out.env": "builddir",             # build/ matches the folder ...
    "app/build": "buildfile",                # ... not a file named build
    "docs/a/b/secret.txt": "deepdoc",        # ** crosses folders
    "x/vendor/lib.env": "vendored",          # a bare name matches at any depth
    "logs/drop.env": "logdrop",
    "logs/keep.env": "logkeep",              # re-included by !logs/keep.env
}
KEPT = [("app/build", "buildfile"), ("app/settings.env", "kept"),
        ("app/top.env", "nestedtop"), ("logs/keep.env", "logkeep")]


def _plant(root: Path) -> None:
    for path, user in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"# {path}\nDB=postgresql://{user}:{make_password()}"
                                 "@db.corp.net/prod\n")


def _found(path: Path, excludes: tuple[str, ...]) -> list[tuple[str, str | None]]:
    result = shared_scanner().run(open_source(ScanOptions(path=str(path), excludes=excludes)))
    rows = []
    for f in result.findings:
        where = provenance_path(f.provenance) or ""
        rows.append((Path(where).relative_to(path).as_posix() if where.startswith("/")
                     else where, f.user))
        assert f.line == 2
    return sorted(rows)


def test_folder_scan_follows_gitignore_rules(tmp_path: Path) -> None:
    _plant(tmp_path)
    assert _found(tmp_path, PATTERNS) == KEPT


def test_git_history_follows_gitignore_rules(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    _plant(repo.root)
    repo.commit("everything")
    assert _found(repo.root, PATTERNS) == KEPT


def test_pyproject_exclude_uses_the_same_rules(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    _plant(repo.root)
    quoted = ", ".join(f'"{p}"' for p in PATTERNS)
    repo.write("pyproject.toml", f'[project]\nname = "x"\n\n[tool.pgsweep]\nexclude = [{quoted}]\n')
    repo.commit("everything")
    proc = run_cli("scan", str(repo.root), "--no-store", "--format", "jsonl")
    assert proc.returncode == 1, proc.stderr
    got = sorted((r["path"], r["user"]) for r in map(json.loads, proc.stdout.splitlines()))
    assert got == KEPT


@pytest.mark.parametrize("pattern", ["!", "\\"])
def test_a_bad_pattern_is_one_error_line(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(ExcludeError):
        Excludes([pattern])
    proc = run_cli("scan", str(tmp_path), "--no-store", "--exclude", pattern)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"pgsweep: error: exclude pattern {pattern!r} is not a gitignore pattern\n"
    )


def test_no_patterns_exclude_nothing() -> None:
    assert not Excludes(())
    assert not Excludes(()).is_excluded("anything/at/all.env")
