"""Benchmark `pgsweep audit --executor dask` (a local Dask cluster) against the local
executor with the same number of workers, on many small generated repositories.

Usage: python bench/audit_executors.py [--repos 200] [--runs 3] [--jobs 2]
(also run by make bench)

The repositories are bench/audit.py's (a few commits and files each, a leaked password in
one of five). Each round runs both executors cold (a fresh store each, the same
PGSWEEP_STORE_KEY), alternating which goes first, and checks that they report the same
credentials. Prints the medians and their ratio (issue 14's target: dask within 1.3x of
local).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

from audit import make_repos, run  # bench/audit.py: the same generated repositories

ROOT = Path(__file__).resolve().parent.parent


def credential_ids(cmd: list[str], env: dict[str, str]) -> tuple[float, float, list[str]]:
    """Wall and CPU seconds (the command and its children), and the credential ids."""
    wall, cpu, out = run(cmd, env)
    return wall, cpu, sorted(c["id"] for c in json.loads(out)["credentials"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="workers of each executor")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pgsweep-bench-executors-") as tmp:
        root = Path(tmp)
        _, listing = make_repos(root, args.repos)
        env = {**os.environ, "PGSWEEP_STORE_KEY": secrets.token_urlsafe(32),
               "PYTHONPATH": str(ROOT / "src")}
        times: dict[str, list[tuple[float, float]]] = {"local": [], "dask": []}
        found: dict[str, list[str]] = {}
        for n in range(args.runs):
            order = ["local", "dask"] if n % 2 == 0 else ["dask", "local"]
            for executor in order:
                wall, cpu, ids = credential_ids(
                    [sys.executable, "-m", "pgsweep", "audit", "--repos", str(listing),
                     "--executor", executor, "--jobs", str(args.jobs), "--store",
                     str(root / f"{executor}{n}.db"), "--no-progress", "-f", "json"], env)
                times[executor].append((wall, cpu))
                if found.setdefault(executor, ids) != ids:
                    raise SystemExit(f"{executor}: another set of credentials than before")
        if found["dask"] != found["local"]:
            raise SystemExit("the executors report different credentials")
        print(f"{args.repos} repositories, {args.runs} runs, {args.jobs} workers each, load "
              f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; medians (min-max); "
              f"{len(found['local'])} credentials from both")
        for executor, runs in times.items():
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(f"audit --executor {executor:<5} wall {statistics.median(walls):7.2f} s "
                  f"({min(walls):.2f}-{max(walls):.2f})  cpu {statistics.median(cpus):7.2f} s")
        ratio = (statistics.median(w for w, _ in times["dask"])
                 / statistics.median(w for w, _ in times["local"]))
        print(f"dask / local: wall {ratio:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
