"""Build real git repositories in tests with the git CLI: commits with fixed authors and dates."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

AUTHOR = "Ada Lovelace"
EMAIL = "ada@example.org"


class GitRepo:
    """A repository under construction; the n-th commit is dated `date_of(n)`."""

    def __init__(self, root: Path, bare: bool = False) -> None:
        self.root = root
        self.tick = 0
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main", *(["--bare"] if bare else []))
        self.git("config", "commit.gpgsign", "false")

    def env(self, date: str | None = None) -> dict[str, str]:
        date = date or date_of(max(self.tick, 1))
        return {
            **os.environ,
            "GIT_AUTHOR_NAME": AUTHOR,
            "GIT_AUTHOR_EMAIL": EMAIL,
            "GIT_COMMITTER_NAME": AUTHOR,
            "GIT_COMMITTER_EMAIL": EMAIL,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.root),
        }

    def git(self, *args: str, date: str | None = None) -> str:
        out = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env(date), capture_output=True, text=True,
            check=False,
        )
        if out.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def write(self, path: str, text: str | bytes) -> Path:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
        return p

    def commit(self, message: str, *paths: str, date: str | None = None) -> str:
        """Stage `paths` (all changes when none) and commit; returns the commit id."""
        self.git("add", "-A", *paths)
        self.tick += 1
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date or date_of(self.tick))
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def blob(self, rev_path: str) -> str:
        return self.git("rev-parse", rev_path)


def staged_changes_repo(root: Path) -> GitRepo:
    """A repository with one commit, then staged changes (a changed file, new files, one
    blob twice, a file to exclude, a large one, a binary one) and unstaged ones (an edit,
    an untracked file, an ignored file): what a pre-commit or working-tree scan meets."""
    r = GitRepo(root)
    r.write("kept.env", "committed\n")
    r.write("changed.env", "before\n")
    r.write(".gitignore", "ignored.env\n")
    r.commit("first")
    r.write("changed.env", "after\n")
    r.write("new.env", "new\n")
    r.write("copy.env", "new\n")  # the same blob as new.env: read once
    r.write("skip/me.env", "excluded\n")
    r.write("big.env", "x" * 100)
    r.write("bin.dat", b"\0\1\2binary")
    r.git("add", "-A")
    r.write("untracked.env", "untracked\n")
    r.write("ignored.env", "ignored\n")
    r.write("kept.env", "edited, not staged\n")
    return r


def date_of(tick: int) -> str:
    """The ISO 8601 date of the tick-th commit (or stash) of a GitRepo."""
    start = datetime(2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    return (start + timedelta(days=tick - 1)).isoformat()


def uri(user: str, password: str, host: str = "db.prod.acme-corp.net", db: str = "app") -> str:
    return f"postgresql://{user}:{password}@{host}:5432/{db}"


def fast_history(root: Path, commits: int, files: int, leak_every: int = 0) -> None:
    """A real repository of `commits` commits on main, each changing `files` files, built
    with `git fast-import` (tens of thousands of objects in about a second); every
    `leak_every`-th commit also writes a credential into `leak.env`."""
    GitRepo(root)
    out = bytearray()
    for c in range(commits):
        msg = f"commit {c}".encode()
        out += (f"commit refs/heads/main\ncommitter {AUTHOR} <{EMAIL}> {1700000000 + c} +0000\n"
                f"data {len(msg)}\n").encode() + msg + b"\n"
        for f in range(files):
            body = f"# module {f}, revision {c}\n".encode() + b"value = 1\n" * 100
            out += f"M 644 inline src/d{f % 10}/m{f}.py\ndata {len(body)}\n".encode() + body
            out += b"\n"
        if leak_every and c % leak_every == 0:
            body = f"DATABASE_URL={uri(f'u{c}', f'Pw9r{c}x7Qz4kLm2')}\n".encode()
            out += f"M 644 inline leak.env\ndata {len(body)}\n".encode() + body + b"\n"
        out += b"\n"
    subprocess.run(["git", "fast-import", "--quiet"], input=bytes(out), cwd=root, check=True,
                   env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"})
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
