"""Benchmark the fixed costs: `pgsweep --version`, and a pre-commit `scan --staged` on a
small repository against gitleaks' `git --staged` on the same one.

Usage: make bench-startup [ARGS="--runs 9"]

CPU time (user + system of the command and every process it starts, git included) is
what a busy machine disturbs least, so it is the figure compared; the table also gives
wall time. Medians over the runs, the tools taking turns.

pgsweep runs as an installed copy does once it has run: with its modules' bytecode
compiled (pip compiles it on install; here into a private PYTHONPYCACHEPREFIX, even under
PYTHONDONTWRITEBYTECODE) and its cache of checked signatures in a private cache dir, which
other pgsweep runs on the machine cannot evict. The first round, which fills both, is not
counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import ensure_peers, pgsweep_command

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}


def small_repository(root: Path) -> Path:
    """30 committed files, then one changed file and a new `.env` with a connection string
    staged: what a pre-commit hook sees."""
    repo = root / "small"
    repo.mkdir()
    env = {**os.environ, **GIT_ENV}

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env,
                       capture_output=True)

    git("init", "-q")
    for i in range(30):
        (repo / f"mod{i}.py").write_text(f"def f{i}():\n    return {i}\n" * 20)
    git("add", ".")
    git("commit", "-qm", "init")
    (repo / "mod1.py").write_text("def f1():\n    return 2\n")
    password = "".join(chr(97 + (i * 7) % 26) for i in range(14)) + "7Q"
    (repo / ".env").write_text(f"DATABASE_URL=postgres://app:{password}@db.internal:5432/app\n")
    git("add", ".")
    return repo


def pgsweep_env(tmp: Path) -> dict[str, str]:
    """The environment of the pgsweep runs: private cache dir and bytecode cache."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"),
           "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (this command and its children), exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    gitleaks = str(ensure_peers().parent / "gitleaks")
    with tempfile.TemporaryDirectory() as tmp:
        repo = small_repository(Path(tmp))
        env = pgsweep_env(Path(tmp))
        cases = {
            "pgsweep --version": ([*pgsweep_command(), "--version"], env),
            "gitleaks version": ([gitleaks, "version"], None),
            "pgsweep scan --staged": ([*pgsweep_command(), "scan", "--staged", "--no-store",
                                       "--format", "json", str(repo)], env),
            "gitleaks git --staged": ([gitleaks, "git", "--staged", "--no-banner",
                                       "--exit-code", "0", str(repo)], None),
        }
        samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
        for rnd in range(args.runs + 1):
            for name, (cmd, cmd_env) in cases.items():
                sample = measure(cmd, cmd_env)
                if rnd:
                    samples[name].append(sample)
        print(f"{'command':<24}{'CPU s':>8}{'wall s':>8}  exit  ({args.runs} runs, medians)")
        for name, got in samples.items():
            cpu = statistics.median(s[1] for s in got)
            wall = statistics.median(s[0] for s in got)
            print(f"{name:<24}{cpu:>8.3f}{wall:>8.3f}  {got[-1][2]}")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
