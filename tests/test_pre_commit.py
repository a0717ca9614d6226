"""End to end: the real pre-commit installs pgsweep's hook from this repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, make_password
from git_support import git, require_git_source

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


@pytest.mark.slow
def test_staged_leak_blocks_the_commit_and_a_clean_commit_passes(tmp_path: Path) -> None:
    require_git_source("staged")
    if not PRE_COMMIT.is_file():
        pytest.skip("pre-commit is not installed next to the test interpreter")
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("pgsweep is not a git checkout here, so pre-commit cannot install from it")
    # pre-commit clones the hook repository at `rev`: the committed HEAD of this checkout.
    rev = git(REPO_ROOT, "rev-parse", "HEAD")
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO_ROOT}\n    rev: {rev}\n    hooks:\n      - id: pgsweep\n"
    )
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run([str(PRE_COMMIT), "install"], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, **env})

    (repo / "README.md").write_text("hello\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "clean", env=env)  # check=True: the hook passed
    assert git(repo, "rev-list", "--count", "HEAD") == "1"

    pw = make_password()
    (repo / "app.env").write_text(f"DATABASE_URL=postgresql://app:{pw}@db.corp.net/prod\n")
    git(repo, "add", "app.env")
    with pytest.raises(subprocess.CalledProcessError) as blocked:
        git(repo, "commit", "-qm", "leak", env=env)
    output = blocked.value.stdout + blocked.value.stderr
    assert "pgsweep (leaked PostgreSQL credentials)" in output and "Failed" in output
    assert "app@db.corp.net" in output
    assert pw not in output
    assert git(repo, "rev-list", "--count", "HEAD") == "1"  # nothing was committed
