"""Benchmark the layout readers against a plain folder scan of the same text.

Usage: make bench-channels [ARGS="--size-mb 200 --runs 3"]

Generates one body of text (config-like lines with planted connection strings) and lays
it out four ways: a plain folder, a `docker save` tarball (uncompressed layer tars, as
docker writes them), an OCI layout folder (gzip layers), and a Slack export zip (one
message per line). Each is scanned with `pgsweep scan --format json`; the table shows the
median wall and CPU time (user + system, which a busy machine disturbs less), the scan's
peak resident memory, and the findings.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

FILE_BYTES = 64 * 1024
WORDS = ("service", "timeout", "retry", "region", "replica", "cache", "worker", "queue",
         "endpoint", "feature", "enabled", "limit", "bucket", "token_ttl", "log_level")


def make_files(size_mb: int, seed: int = 7) -> dict[str, bytes]:
    """Text files of ~64 KiB; one line in ~2,000 is a connection string with a password."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    total, n = size_mb * 1024 * 1024, 0
    while sum(map(len, files.values())) < total:
        lines = []
        size = 0
        while size < FILE_BYTES:
            if rng.random() < 0.0005:
                pw = "".join(rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                             for _ in range(18))
                line = f"DATABASE_URL=postgres://svc{n}:{pw}@db{n % 7}.corp.example:5432/app"
            else:
                line = f"{rng.choice(WORDS)}_{rng.randrange(10**6)} = " + " ".join(
                    rng.choice(WORDS) for _ in range(rng.randrange(3, 12)))
            lines.append(line)
            size += len(line) + 1
        files[f"srv/app{n // 100}/conf{n}.cfg"] = ("\n".join(lines) + "\n").encode()
        n += 1
    return files


def write_folder(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def layer_tars(files: dict[str, bytes], layers: int = 4) -> list[bytes]:
    names = list(files)
    out = []
    for i in range(layers):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            for name in names[i::layers]:
                ti = tarfile.TarInfo(name)
                ti.size = len(files[name])
                tf.addfile(ti, io.BytesIO(files[name]))
        out.append(buf.getvalue())
    return out


def write_docker_save(path: Path, files: dict[str, bytes]) -> None:
    config = json.dumps({"config": {"Env": ["PATH=/usr/bin"]}, "history": []}).encode()
    with tarfile.open(path, "w") as tf:
        def add(name: str, data: bytes) -> None:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
        layers = []
        for n, layer in enumerate(layer_tars(files)):
            layers.append(f"{n:064x}/layer.tar")
            add(layers[-1], layer)
        add("config.json", config)
        add("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["bench:1"],
                                          "Layers": layers}]).encode())
        add("repositories", b"{}")


def write_oci(root: Path, files: dict[str, bytes]) -> None:
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    layers = [blob(gzip.compress(layer, compresslevel=1)) for layer in layer_tars(files)]
    config = blob(json.dumps({"config": {}, "history": []}).encode())
    manifest = blob(json.dumps({"schemaVersion": 2, "config": config,
                                "layers": layers}).encode())
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {**manifest, "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}))


def write_slack(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("users.json", json.dumps([{"id": "U1", "name": "bench"}]))
        zf.writestr("channels.json", json.dumps([{"id": "C1", "name": "ops"}]))
        for n, data in enumerate(files.values()):
            ts = 1704067200 + n * 60
            messages = [{"type": "message", "user": "U1", "ts": f"{ts + i}.000100",
                         "text": line} for i, line in enumerate(data.decode().splitlines())]
            day = time.strftime("%Y-%m-%d", time.gmtime(1704067200 + n * 86400))
            zf.writestr(f"ops/{day}.json", json.dumps(messages, indent=4))


def scan(target: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system: steady on a busy machine), peak MiB,
    findings."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pgsweep", "scan", str(target), "--format",
                          "json", "--no-progress"], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode not in (0, 1):
        raise SystemExit(f"pgsweep failed on {target}: {out.stderr.strip()}")
    doc = json.loads(out.stdout)
    return wall, cpu, float(doc["stats"]["peak_rss_mib"]), len(doc["findings"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=200, help="text to generate (MiB)")
    parser.add_argument("--runs", type=int, default=1, help="scans per layout (median shown)")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="pgsweep-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        files = make_files(args.size_mb)
        targets = {
            "plain folder": work / "plain",
            "docker save tarball": work / "image.tar",
            "OCI layout (gzip layers)": work / "oci",
            "Slack export zip": work / "slack.zip",
        }
        if not targets["plain folder"].exists():
            write_folder(targets["plain folder"], files)
            write_docker_save(targets["docker save tarball"], files)
            write_oci(targets["OCI layout (gzip layers)"], files)
            write_slack(targets["Slack export zip"], files)
        text_mib = sum(map(len, files.values())) / 2**20
        print(f"{len(files)} files, {text_mib:.0f} MiB of text, {args.runs} run(s) each")
        print(f"{'layout':26} {'on disk MiB':>11} {'wall s':>7} {'CPU s':>7} {'MiB/CPU s':>9}"
              f" {'peak MiB':>8} {'findings':>8}")
        for name, target in targets.items():
            size = (sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
                    if target.is_dir() else target.stat().st_size) / 2**20
            samples = [scan(target) for _ in range(args.runs)]
            wall = statistics.median(s[0] for s in samples)
            cpu = statistics.median(s[1] for s in samples)
            peak = max(s[2] for s in samples)
            print(f"{name:26} {size:11.0f} {wall:7.1f} {cpu:7.1f} {text_mib / cpu:9.1f}"
                  f" {peak:8.0f} {samples[0][3]:8d}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
