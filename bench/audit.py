"""Benchmark `pgsweep audit` of many small repositories against a shell loop of
`pgsweep scan` over the same repositories.

Usage: python bench/audit.py [--repos 200] [--runs 3] [--jobs 0]   (also run by make bench)

Generates the repositories (a few commits and files each, a leaked password in one of
five) in a temporary folder, then times, cold each round (a fresh store, the same
PGSWEEP_STORE_KEY): the audit of all of them from a `--repos` file, and
`for r in …; do pgsweep scan "$r"; done`. Prints the medians and their ratio (issue 14's
target: the audit within half the loop's time).
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_repo(path: Path, n: int) -> None:
    """Three commits of four small files; every fifth repository leaks a password."""
    stream = []
    mark = 0
    for c in range(3):
        files = []
        for f in range(4):
            text = f"# service {n} file {f} rev {c}\nname = svc{n}\nreplicas = {c + f}\n"
            if n % 5 == 0 and c == 1 and f == 0:
                text += (f"DATABASE_URL=postgresql://svc{n}:{secrets.token_urlsafe(12)}"
                         f"@db{n}.acme-corp.net:5432/app\n")
            data = text.encode()
            mark += 1
            stream.append(f"blob\nmark :{mark}\ndata {len(data)}\n".encode() + data + b"\n")
            files.append((f"conf/file{f}.env", mark))
        message = f"revision {c}".encode()
        head = (f"commit refs/heads/main\ncommitter bench <bench@example.com> "
                f"{1700000000 + c * 3600} +0000\ndata {len(message)}\n").encode() + message + b"\n"
        body = b"".join(f"M 100644 :{m} {p}\n".encode() for p, m in files)
        stream.append(head + body + b"\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream),
                   check=True)
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True)


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) of the command and its children, and its
    standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd[:4])}…: {done.stderr.strip()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of the command and its children."""
    wall, cpu, _ = run(cmd, env)
    return wall, cpu


def make_repos(root: Path, count: int) -> tuple[list[Path], Path]:
    """`count` generated repositories under `root`, and a `--repos` file listing them."""
    repos = [root / "repos" / f"svc{n:03d}" for n in range(count)]
    for n, path in enumerate(repos):
        make_repo(path, n)
    listing = root / "repos.txt"
    listing.write_text("".join(f"{p}\n" for p in repos))
    return repos, listing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0, help="audit --jobs (0: one per core)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pgsweep-bench-audit-") as tmp:
        root = Path(tmp)
        repos, listing = make_repos(root, args.repos)
        env = {**os.environ, "PGSWEEP_STORE_KEY": secrets.token_urlsafe(32),
               "PYTHONPATH": str(ROOT / "src")}
        pgsweep = [sys.executable, "-m", "pgsweep"]
        loop = ("for r in " + " ".join(str(p) for p in repos) + "; do "
                + " ".join(pgsweep) + ' scan "$r" --store "$1" --no-progress -f json '
                "-o /dev/null; done")
        audits, loops = [], []
        for run in range(args.runs):
            audits.append(timed([*pgsweep, "audit", "--repos", str(listing), "--jobs",
                                 str(args.jobs), "--store", str(root / f"a{run}.db"),
                                 "--no-progress", "-f", "json", "-o", "/dev/null"], env))
            loops.append(timed(["sh", "-c", loop, "sh", str(root / f"l{run}.db")], env))
        load = os.getloadavg()[0]
        print(f"{args.repos} repositories, {args.runs} runs, load {load:.2f} on "
              f"{os.cpu_count()} cores; medians (min-max)")
        for name, runs in ((f"audit --jobs {args.jobs or os.cpu_count()}", audits),
                           ("loop of scan", loops)):
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(f"{name:<16} wall {statistics.median(walls):7.2f} s "
                  f"({min(walls):.2f}-{max(walls):.2f})  cpu {statistics.median(cpus):7.2f} s "
                  f"({min(cpus):.2f}-{max(cpus):.2f})")
        wall = statistics.median(w for w, _ in audits) / statistics.median(w for w, _ in loops)
        cpu = statistics.median(c for _, c in audits) / statistics.median(c for _, c in loops)
        print(f"audit / loop: wall {wall:.2f}, cpu {cpu:.2f} (target: wall <= 0.5)")


if __name__ == "__main__":
    main()
