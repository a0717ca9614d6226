"""Benchmark the layout readers against a plain folder scan of the same text.

Usage: make bench-channels [ARGS="--size-mb 200 --runs 3 --layouts folder,slack"]

Generates one body of text (config-like lines with planted connection strings) and lays
it out four ways: a plain folder, a `docker save` tarball (uncompressed layer tars, as
docker writes them), an OCI layout folder (gzip layers), and a Slack export (one
message per line) zipped, unzipped, and as its day files alone (the same JSON bytes in a
plain folder that is no export). Each is scanned with `pgsweep scan --format json`; the
table shows the median wall and CPU time (user + system, which a busy machine disturbs
less), the scan's peak resident memory, and the findings. The text is generated afresh
for each layout and never held whole in memory, so multi-gigabyte cases need only disk
space.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import os
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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

FILE_BYTES = 64 * 1024
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
WORDS = ("service", "timeout", "retry", "region", "replica", "cache", "worker", "queue",
         "endpoint", "feature", "enabled", "limit", "bucket", "token_ttl", "log_level")


# One line in this many is a connection string with its own password (--leak-every).
LEAK_EVERY = 2000


def iter_files(size_mb: int, leak_every: int = LEAK_EVERY,
               seed: int = 7) -> Iterator[tuple[str, bytes]]:
    """Text files of ~64 KiB, made afresh on each call (the same every time, never all in
    memory); one line in ~leak_every is a connection string with its own password."""
    rng = random.Random(seed)
    pool = [f"{rng.choice(WORDS)}_{rng.randrange(10**6)} = " + " ".join(
        rng.choice(WORDS) for _ in range(rng.randrange(3, 12))) for _ in range(20_000)]
    per_file = FILE_BYTES // (sum(map(len, pool)) // len(pool) + 1) + 1
    total, done, n = size_mb * 1024 * 1024, 0, 0
    while done < total:
        lines = rng.choices(pool, k=per_file)
        for i in range(len(lines)):
            if rng.random() < 1 / leak_every:
                pw = "".join(rng.choices(PASSWORD_ALPHABET, k=18))
                lines[i] = f"DATABASE_URL=postgres://svc{n}:{pw}@db{n % 7}.corp.example:5432/app"
        data = ("\n".join(lines) + "\n").encode()
        yield f"srv/app{n // 100}/conf{n}.cfg", data
        done += len(data)
        n += 1


def write_folder(root: Path, files: Callable[[], Iterable[tuple[str, bytes]]]) -> None:
    for name, data in files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def write_layer_tars(files: Files, folder: Path, layers: int = 4) -> list[Path]:
    """The files dealt in turn to `layers` uncompressed layer tars, written to disk."""
    paths = [folder / f"layer{i}.tar" for i in range(layers)]
    with contextlib.ExitStack() as stack:
        tars = [stack.enter_context(tarfile.open(p, "w")) for p in paths]
        for n, (name, data) in enumerate(files()):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tars[n % layers].addfile(ti, io.BytesIO(data))
    return paths


def write_docker_save(path: Path, files: Files) -> None:
    config = json.dumps({"config": {"Env": ["PATH=/usr/bin"]}, "history": []}).encode()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp, tarfile.open(path, "w") as tf:
        def add(name: str, data: bytes) -> None:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))

        layers = []
        for n, layer in enumerate(write_layer_tars(files, Path(tmp))):
            layers.append(f"{n:064x}/layer.tar")
            tf.add(layer, arcname=layers[-1])
            layer.unlink()
        add("config.json", config)
        add("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["bench:1"],
                                          "Layers": layers}]).encode())
        add("repositories", b"{}")


def write_oci(root: Path, files: Files) -> None:
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob_file(src: Path) -> dict[str, object]:
        h = hashlib.sha256()
        tmp = blobs / "partial"
        with src.open("rb") as f, tmp.open("wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz:
            for piece in iter(lambda: f.read(1 << 20), b""):
                gz.write(piece)
        with tmp.open("rb") as f:
            for piece in iter(lambda: f.read(1 << 20), b""):
                h.update(piece)
        size = tmp.stat().st_size
        tmp.rename(blobs / h.hexdigest())
        return {"digest": f"sha256:{h.hexdigest()}", "size": size}

    def blob(data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    with tempfile.TemporaryDirectory(dir=root) as tmp:
        layers = [blob_file(p) for p in write_layer_tars(files, Path(tmp))]
    config = blob(json.dumps({"config": {}, "history": []}).encode())
    manifest = blob(json.dumps({"schemaVersion": 2, "config": config,
                                "layers": layers}).encode())
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {**manifest, "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}))


def iter_slack(files: Files) -> Iterator[tuple[str, bytes]]:
    """A Slack export's files: one day file per generated file, one message per line, as
    Slack writes them."""
    yield "users.json", json.dumps([{"id": "U1", "name": "bench"}]).encode()
    yield "channels.json", json.dumps([{"id": "C1", "name": "ops"}]).encode()
    for n, (_, data) in enumerate(files()):
        ts = 1704067200 + n * 60
        messages = [{"type": "message", "user": "U1", "ts": f"{ts + i}.000100",
                     "text": line} for i, line in enumerate(data.decode().splitlines())]
        day = time.strftime("%Y-%m-%d", time.gmtime(1704067200 + n * 86400))
        yield f"ops/{day}.json", json.dumps(messages, indent=4).encode()


def write_slack(path: Path, files: Files) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in iter_slack(files):
            zf.writestr(name, data)


def write_slack_folder(root: Path, files: Files) -> None:
    """The export unzipped: a folder the Slack reader reads."""
    write_folder(root, lambda: iter_slack(files))


def write_slack_json(root: Path, files: Files) -> None:
    """The export's day files alone, as plain JSON files: the same bytes, no export."""
    write_folder(root, lambda: ((name, data) for name, data in iter_slack(files)
                                if name.startswith("ops/")))


Files = Callable[[], Iterator[tuple[str, bytes]]]

LAYOUTS: dict[str, tuple[str, str, Callable[[Path, Files], None]]] = {
    "folder": ("plain folder", "plain", write_folder),
    "docker": ("docker save tarball", "image.tar", write_docker_save),
    "oci": ("OCI layout (gzip layers)", "oci", write_oci),
    "slack": ("Slack export zip", "slack.zip", write_slack),
    "slack-folder": ("Slack export folder", "slack", write_slack_folder),
    "slack-json": ("its day files, no export", "slack-json", write_slack_json),
}


def scan(target: Path, env: dict[str, str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system: steady on a busy machine), peak MiB,
    findings."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pgsweep", "scan", str(target), "--format",
                          "json", "--no-progress", "--no-store"], capture_output=True,
                         text=True, check=False, env=env)
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
    parser.add_argument("--layouts", default=",".join(LAYOUTS),
                        help=f"comma-separated, of {', '.join(LAYOUTS)}")
    parser.add_argument("--scrypt", action="store_true",
                        help="unkeyed (scrypt) fingerprints, as a default scan computes them")
    parser.add_argument("--leak-every", type=int, default=LEAK_EVERY,
                        help="one line in this many leaks a password (default: %(default)s)")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    wanted = args.layouts.split(",")
    if set(wanted) - set(LAYOUTS):
        raise SystemExit(f"unknown layouts: {sorted(set(wanted) - set(LAYOUTS))}")
    env = dict(os.environ)
    if not args.scrypt:
        # A keyed fingerprint (HMAC) instead of scrypt per distinct password: the same cost
        # in every layout, and not what this compares.
        env["PGSWEEP_FINGERPRINT_KEY"] = "bench-channels"
    work = args.keep or Path(tempfile.mkdtemp(prefix="pgsweep-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        text_mib = float(args.size_mb)  # generated to this size, within one file's 64 KiB
        print(f"{text_mib:.0f} MiB of text, {args.runs} run(s) each", flush=True)
        print(f"{'layout':26} {'on disk MiB':>11} {'wall s':>7} {'CPU s':>7} {'MiB/CPU s':>9}"
              f" {'peak MiB':>8} {'findings':>8}", flush=True)
        for key in wanted:
            name, filename, write = LAYOUTS[key]
            target = work / filename
            if not target.exists():
                write(target, lambda: iter_files(args.size_mb, args.leak_every))
            size = (sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
                    if target.is_dir() else target.stat().st_size) / 2**20
            samples = [scan(target, env) for _ in range(args.runs)]
            wall = statistics.median(s[0] for s in samples)
            cpu = statistics.median(s[1] for s in samples)
            peak = max(s[2] for s in samples)
            print(f"{name:26} {size:11.0f} {wall:7.1f} {cpu:7.1f} {text_mib / cpu:9.1f}"
                  f" {peak:8.0f} {samples[0][3]:8d}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
