"""The working tree mode, called directly (the staged changes: test_git_staged.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, make_password
from gitrepo import GitRepo, staged_changes_repo

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


def test_an_unreadable_worktree_file_makes_the_scan_incomplete(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.write("notes.txt", "nothing here\n")
    r.commit("first")
    r.write("deploy.sh", f"PGPASSWORD={make_password()} psql -h db.corp.net -U app\n")
    (r.root / "deploy.sh").chmod(0)
    scan = [sys.executable, "-m", "pgsweep", "scan", str(r.root), "--worktree", "--no-store",
            "-f", "json"]
    if os.geteuid() == 0:  # without the capabilities that let root read every file
        scan = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *scan]
    proc = subprocess.run(scan, env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["findings"] == [] and doc["complete"] is False
    assert doc["stats"]["incomplete"] == [
        f"{r.root / 'deploy.sh'}: unreadable: Permission denied"]
