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
    return "Pw" + "".join(secrets.choice(alphabet) for _ in range(n - 2))


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


def scan_tree(root: Path, files: dict[str, str]):
    """Write `files` under `root` and scan the folder with the shipped signatures."""
    from pgsweep import signatures
    from pgsweep.pipeline import Scanner
    from pgsweep.sources.files import FileSource

    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Scanner(signatures.load()).run(FileSource(root))


@pytest.fixture
def leaky_scan(tmp_path: Path):
    """A real scan of a folder with two leaks (one repeated) and their plaintext passwords."""
    pw1, pw2 = make_password(), make_password()
    result = scan_tree(tmp_path / "repo", {
        "app/settings.env": f"# settings\nDATABASE_URL=postgresql://app:{pw1}@db.corp.net:5432/prod\n",
        "deploy/run.sh": (
            "#!/bin/sh\n"
            f"psql postgres://report:{pw2}@10.20.30.40/reports -c 'select 1'\n"
            f"export URL=postgres://app:{pw1}@db.corp.net:5432/prod\n"
        ),
    })
    return result, (pw1, pw2)
