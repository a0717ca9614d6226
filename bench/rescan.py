"""Benchmark an incremental rescan: scan a repository into a store, add one commit, rescan.

Usage: python bench/rescan.py <path to a git repository> [--runs 3]   (also run by make bench)

Works on a bare shared clone in a temporary directory (the repository itself is never
written), with a throwaway store and PGSWEEP_STORE_KEY, so nothing touches the user's store.
Each round adds one commit with one new file to the clone's default branch and times
`pgsweep scan --store` (issue 5, target 4: ≤ 1 s on sqlalchemy/sqlalchemy).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(repo: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], input=stdin, text=True, check=True,
        capture_output=True, env={**os.environ, **GIT_ENV, **(env or {})},
    ).stdout.strip()


def add_commit(repo: Path, n: int, workdir: Path) -> None:
    """One new commit on HEAD's branch adding one small file, built without a work tree."""
    blob = git(repo, "hash-object", "-w", "--stdin", stdin=f"bench change {n}\n")
    index = {"GIT_INDEX_FILE": str(workdir / "bench.index")}
    git(repo, "read-tree", "HEAD", env=index)
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},pgsweep-bench-{n}.txt",
        env=index)
    tree = git(repo, "write-tree", env=index)
    commit = git(repo, "commit-tree", tree, "-p", "HEAD", "-m", f"bench {n}")
    git(repo, "update-ref", "HEAD", commit)


def scan(repo: Path, store: Path, report: Path, env: dict[str, str]) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "pgsweep", "scan", str(repo), "--store", str(store),
           "--no-progress", "--format", "json", "--output", str(report)]
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"pgsweep failed: {done.stderr.strip()[-400:]}")
    return wall, json.loads(report.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    source = Path(args.repo).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clone = work / "clone.git"
        subprocess.run(["git", "clone", "-q", "--bare", "--shared", str(source), str(clone)],
                       check=True)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "PGSWEEP_STORE_KEY": secrets.token_urlsafe(32),
            "XDG_DATA_HOME": str(work / "data"),
            "XDG_CONFIG_HOME": str(work / "config"),
        }
        store = work / "store.db"
        cold_wall, cold = scan(clone, store, work / "cold.json", env)
        print(f"cold scan: {cold_wall:.2f}s, {cold['stats']['blobs']} blobs, "
              f"{len(cold['findings'])} findings", file=sys.stderr)
        walls = []
        for n in range(args.runs):
            add_commit(clone, n, work)
            wall, warm = scan(clone, store, work / "warm.json", env)
            walls.append(wall)
            same = {f["id"] for f in warm["findings"]} == {f["id"] for f in cold["findings"]}
            print(f"rescan {n + 1}: {wall:.2f}s, {warm['stats']['blobs']} blobs read, "
                  f"{len(warm['findings'])} findings ({'same as' if same else 'DIFFERENT from'}"
                  " the cold scan)", file=sys.stderr)
    print(f"\nrepository: {source}")
    print(f"cold scan into a new store   {cold_wall:>7.2f} s")
    median = statistics.median(walls)
    print(f"rescan after one new commit  {median:>7.2f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
