"""Helpers for tests that need a real git repository and pgsweep's git source."""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV, **(env or {})}, check=True)
    return proc.stdout.strip()


def require_git_source(*features: str) -> None:
    """Skip until the git source (with these ScanOptions features) is part of pgsweep."""
    if importlib.util.find_spec("pgsweep.sources.git") is None:
        pytest.skip("pgsweep.sources.git has not landed yet")
    from pgsweep.sources import git as git_source

    text = inspect.getsource(git_source)
    missing = [f for f in features if f"opts.{f}" not in text]
    if missing:
        pytest.skip(f"the git source does not support {', '.join(missing)} yet")
