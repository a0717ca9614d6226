"""End to end: the real pre-commit installs pgsweep's hook from this repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, make_password
from gitrepo import GitRepo

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


@pytest.mark.slow
def test_staged_leak_blocks_the_commit_and_a_clean_commit_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make test` installs pre-commit (the test extra) and runs in a git checkout
    assert PRE_COMMIT.is_file(), "pre-commit is not installed next to the test interpreter"
    assert (REPO_ROOT / ".git").exists(), "pre-commit installs the hook from a git checkout"
    # pre-commit clones the hook repository at `rev`: the committed HEAD of this checkout.
    rev = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    repo = GitRepo(tmp_path / "project")
    repo.write(".pre-commit-config.yaml",
               f"repos:\n  - repo: {REPO_ROOT}\n    rev: {rev}\n    hooks:\n      - id: pgsweep\n")
    subprocess.run([str(PRE_COMMIT), "install"], cwd=repo.root, env=repo.env(), check=True,
                   capture_output=True)

    repo.write("README.md", "hello\n")
    repo.commit("clean")  # raises unless the hook passed
    assert repo.git("rev-list", "--count", "HEAD") == "1"

    pw = make_password()
    repo.write("app.env", f"DATABASE_URL=postgresql://app:{pw}@db.corp.net/prod\n")
    with pytest.raises(AssertionError) as blocked:
        repo.commit("leak")
    output = str(blocked.value)
    assert "pgsweep (leaked PostgreSQL credentials)" in output and "Failed" in output
    assert "app@db.corp.net" in output
    assert pw not in output
    assert repo.git("rev-list", "--count", "HEAD") == "1"  # nothing was committed
