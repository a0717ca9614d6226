"""Container images: `docker save` tarballs and OCI layouts, built here by hand and by umoci and
skopeo, read layer by layer (deleted files flagged) with the config and history."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

from conftest import make_password
from filescan import scan_items, shared_scanner

from pgsweep.core.models import FileProvenance, Finding, ImageProvenance
from pgsweep.findings.fingerprint import redact
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import FileSource


def layer_tar(files: dict[str, bytes | None], gz: bool = False) -> bytes:
    """A layer: a file per name; None makes an empty file (whiteouts are empty files)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data or b""), 0o644
            tf.addfile(ti, io.BytesIO(data or b""))
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "/usr/bin/dash"
        tf.addfile(link)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw


def config(pw: list[str]) -> bytes:
    return json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin", f"PGPASSWORD={pw[1]}"],
            "Cmd": ["psql", f"postgresql://report:{pw[2]}@db.corp.example/reports"],
            "Labels": {"org.example.db": f"postgres://label:{pw[3]}@label.corp.example/x"},
        },
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created_by": "/bin/sh -c #(nop)  ARG DB_USER=app", "empty_layer": True},
            {"created_by": (f"|1 DB_USER=app /bin/sh -c PGPASSWORD={pw[4]} psql -h "
                            "db.corp.example -U app -c 'select 1'")},
            {"created_by": "/bin/sh -c rm /app/.env /etc/app -rf"},
        ],
    }).encode()


def layers(pw: list[str]) -> list[bytes]:
    return [
        layer_tar({"etc/os-release": b"ID=debian\n"}),
        layer_tar({"app/.env": f"DATABASE_URL=postgres://app:{pw[0]}@db.corp.example/app\n"
                   .encode(),
                   "etc/app/database.yml": (f"production:\n  adapter: postgresql\n  host: "
                                            f"db.corp.example\n  username: cfg\n  password: "
                                            f"{pw[5]}\n").encode()}),
        layer_tar({"app/.wh..env": None, "etc/app/.wh..wh..opq": None,
                   "app/README": b"nothing here\n"}, gz=True),
    ]


def docker_save(pw: list[str]) -> bytes:
    """The legacy `docker save` layout: `<id>/layer.tar`, `<config>.json`, manifest.json."""
    cfg = config(pw)
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    members = {cfg_name: cfg}
    layer_paths = []
    for n, data in enumerate(layers(pw)):
        path = f"{n:064x}/layer.tar"
        members[path] = data
        layer_paths.append(path)
    members["manifest.json"] = json.dumps([{"Config": cfg_name, "RepoTags": ["corp/api:1.4"],
                                            "Layers": layer_paths}]).encode()
    members["repositories"] = json.dumps({"corp/api": {"1.4": f"{2:064x}"}}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def summary(f: Finding) -> tuple[object, ...]:
    p = f.provenance
    if isinstance(p, FileProvenance):
        return ("file", p.member, f.line, f.user, redact(f.secret))
    assert isinstance(p, ImageProvenance)
    return (p.image, p.layer, p.member, p.part, p.step, p.deleted, p.reader, f.line, f.user,
            redact(f.secret))


def scan(path: Path, limits: ArchiveLimits | None = None
         ) -> tuple[list[tuple[object, ...]], dict[str, int]]:
    found, stats = scan_items(shared_scanner(), FileSource(path, limits=limits).iter_items())
    return sorted((summary(f) for f in found), key=str), stats.skipped


def test_docker_save_layers_deleted_files_config_and_history(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(6)]
    path = tmp_path / "api.tar"
    path.write_bytes(docker_save(pw))
    layer1 = f"{1:064x}/layer.tar"
    want = sorted([
        ("corp/api:1.4", layer1, "app/.env", "layer", "#3 RUN", True, "dotenv", 1, "app",
         redact(pw[0])),
        ("corp/api:1.4", layer1, "etc/app/database.yml", "layer", "#3 RUN", True, "yaml", 5, "cfg",
         redact(pw[5])),
        ("corp/api:1.4", None, None, "config.Env", None, False, "text", 2, None, redact(pw[1])),
        ("corp/api:1.4", None, None, "config.Cmd", None, False, "text", 1, "report",
         redact(pw[2])),
        ("corp/api:1.4", None, None, "config.Labels", None, False, "text", 1, "label",
         redact(pw[3])),
        ("corp/api:1.4", None, None, "history", "#3 RUN", False, "text", 1, "app", redact(pw[4])),
    ], key=str)
    skips = {"image: 1 links not followed": 3}
    assert scan(path) == (want, skips)
    # Above the size limit the tarball is read layer by layer from disk.
    small = ArchiveLimits(max_member_size=1200)
    assert path.stat().st_size > 4 * small.max_member_size
    assert scan(path, small) == (want, skips)


def test_the_config_and_the_layers_name_their_step(tmp_path: Path) -> None:
    """Layer n is made by the n-th history step that is not `empty_layer`."""
    pw = [make_password() for _ in range(6)]
    path = tmp_path / "api.tar"
    path.write_bytes(docker_save(pw))
    found, _ = scan(path)
    steps = {row[1]: row[4] for row in found if row[1]}
    assert steps == {f"{1:064x}/layer.tar": "#3 RUN"}


def oci_layout(root: Path, pw: list[str]) -> None:
    """An OCI layout by hand: gzip layers as blobs, a nested index, a ref-name annotation."""
    def blob(data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "blobs" / "sha256" / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    cfg = blob(config(pw))
    ls = [blob(layer if layer.startswith(b"\x1f\x8b") else gzip.compress(layer, mtime=0))
          for layer in layers(pw)]
    manifest = blob(json.dumps({"schemaVersion": 2, "config": cfg, "layers": ls}).encode())
    inner = blob(json.dumps({"schemaVersion": 2, "manifests": [
        {**manifest, "mediaType": "application/vnd.oci.image.manifest.v1+json"}]}).encode())
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {**inner, "mediaType": "application/vnd.oci.image.index.v1+json",
         "annotations": {"io.containerd.image.name": "registry.corp.example/api:2.0"}}]}))


def test_oci_layout_folder_and_tar(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(6)]
    root = tmp_path / "layout"
    oci_layout(root, pw)
    found, skipped = scan(tmp_path)  # found as a folder inside the scanned one
    assert skipped == {"image: 1 links not followed": 3}
    rows = [(r[0], r[2], r[3], r[5], r[9]) for r in found]
    assert rows == sorted([
        ("registry.corp.example/api:2.0", "app/.env", "layer", True, redact(pw[0])),
        ("registry.corp.example/api:2.0", "etc/app/database.yml", "layer", True, redact(pw[5])),
        ("registry.corp.example/api:2.0", None, "config.Env", False, redact(pw[1])),
        ("registry.corp.example/api:2.0", None, "config.Cmd", False, redact(pw[2])),
        ("registry.corp.example/api:2.0", None, "config.Labels", False, redact(pw[3])),
        ("registry.corp.example/api:2.0", None, "history", False, redact(pw[4])),
    ], key=str)
    assert all(str(r[1]).startswith("sha256:") for r in found if r[2])
    tarred = tmp_path / "layout.tar"
    with tarfile.open(tarred, "w") as tf:
        tf.add(root, arcname=".")
    assert [(r[0], r[2], r[3], r[5], r[9]) for r in scan(tarred)[0]] == rows


def run(*cmd: str, cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)


def test_images_made_by_umoci_and_skopeo(tmp_path: Path) -> None:
    """umoci builds an OCI layout from folders (a .env added, then deleted in the next
    layer, and a config Env); skopeo turns it into a `docker save` tarball."""
    pw = [make_password() for _ in range(2)]
    run("umoci", "init", "--layout", "img", cwd=tmp_path)
    run("umoci", "new", "--image", "img:v1", cwd=tmp_path)
    run("umoci", "unpack", "--rootless", "--image", "img:v1", "b1", cwd=tmp_path)
    app = tmp_path / "b1" / "rootfs" / "app"
    app.mkdir(parents=True)
    (app / ".env").write_text(f"DATABASE_URL=postgres://app:{pw[0]}@db.corp.example/app\n")
    run("umoci", "repack", "--image", "img:v1", "--history.created_by", "COPY .env /app/",
        "b1", cwd=tmp_path)
    run("umoci", "unpack", "--rootless", "--image", "img:v1", "b2", cwd=tmp_path)
    (tmp_path / "b2" / "rootfs" / "app" / ".env").unlink()
    run("umoci", "repack", "--image", "img:v1", "--history.created_by",
        "/bin/sh -c rm /app/.env", "b2", cwd=tmp_path)
    run("umoci", "config", "--image", "img:v1", "--config.env", f"PGPASSWORD={pw[1]}",
        "--history.created_by", "/bin/sh -c #(nop)  ENV PGPASSWORD=<set>", cwd=tmp_path)
    run("skopeo", "copy", "-q", "oci:img:v1", "docker-archive:api.tar:corp/api:1.5",
        cwd=tmp_path)
    for path, image in ((tmp_path / "img", "v1"), (tmp_path / "api.tar", "docker.io/corp/api:1.5")):
        found, _ = scan(path)
        images = [r for r in found if r[0] != "file"]
        assert [(r[0], r[2], r[3], r[4], r[5], r[9]) for r in images] == sorted([
            (image, "app/.env", "layer", "#1 COPY", True, redact(pw[0])),
            (image, None, "config.Env", None, False, redact(pw[1])),
        ], key=str), path


def test_cli_json_attribution(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(6)]
    path = tmp_path / "api.tar"
    path.write_bytes(docker_save(pw))
    out = subprocess.run([sys.executable, "-m", "pgsweep", "scan", str(path), "--format", "json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr
    records = json.loads(out.stdout)["findings"]
    env = next(r for r in records if r["provenance"].get("member") == "app/.env")
    assert env["source"] == "image"
    assert env["path"] == f"{path}!{1:064x}/layer.tar!app/.env"
    assert {k: env["provenance"][k] for k in ("image", "layer", "step", "deleted", "reader")} == {
        "image": "corp/api:1.4", "layer": f"{1:064x}/layer.tar", "step": "#3 RUN",
        "deleted": True, "reader": "dotenv"}
    assert all(p not in out.stdout for p in pw)
