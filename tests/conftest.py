"""Shared fixtures: the loaded signatures and a CLI runner that never needs a shell."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def make_password(n: int = 16) -> str:
    """A fresh random password per run: fixtures never hold a real-looking secret at rest."""
    alphabet = string.ascii_letters + string.digits
    # A digit third: an all-letter value holding "pwd"/"pass" reads as a placeholder.
    return "Pw" + secrets.choice(string.digits) + "".join(
        secrets.choice(alphabet) for _ in range(n - 3))


@pytest.fixture
def password() -> str:
    return make_password()


@pytest.fixture(scope="session")
def all_signatures():
    from pgsweep import signatures

    return signatures.load()


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m pgsweep` as a user would; returns the completed process."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PYTHONPATH", str(REPO_ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "pgsweep", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=600,
    )
