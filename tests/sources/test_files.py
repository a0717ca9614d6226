"""The folder/file/stdin sources: a safe walk, bad input as counted warnings."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, make_password, run_cli
from filescan import Row, row, scan_data, scan_items, shared_scanner
from provenances import facts_of

from pgsweep.core.options import ScanOptions
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import FileSource
from pgsweep.sources.select import open_source
from pgsweep.sources.stdin import StdinSource


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return shared_scanner()



def uri(user: str, pw: str, host: str = "db.corp.net", db: str = "prod") -> str:
    return f"postgresql://{user}:{pw}@{host}/{db}"


def test_walk_skips_git_internals_excludes_and_unsafe_entries(
    scanner: Scanner, tmp_path: Path
) -> None:
    p1, p2 = make_password(), make_password()
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "settings.py").write_text(f"# config\nDATABASE = '{uri('app', p1)}'\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(uri("git", make_password()) + "\n")
    (root / "vendor").mkdir()
    (root / "vendor" / "lib.txt").write_text(uri("vendored", make_password()) + "\n")
    (root / "notes.log").write_text("x\n" * 3 + uri("ops", p2, "ops.corp.net") + "\n")
    (root / "skip.me").write_text(uri("skipped", make_password()) + "\n")
    outside = tmp_path / "outside.txt"
    outside.write_text(uri("outside", make_password()) + "\n")
    (root / "link-out").symlink_to(outside)
    (root / "link-dir-out").symlink_to(tmp_path)
    (root / "link-in").symlink_to(root / "notes.log")  # scanned once, at its real path
    (root / "dangling").symlink_to(root / "nowhere")
    os.mkfifo(root / "fifo")  # opening a FIFO would block: it must not be opened
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    try:
        source = FileSource(root, excludes=("vendor", "*.me"))
        found, stats = scan_items(scanner, source.iter_items())
    finally:
        sock.close()
    assert sorted(map(row, found), key=lambda r: str(r.path)) == [
        Row(str(root / "notes.log"), 4, "ops", "ops.corp.net", p2, "prod"),
        Row(str(root / "src" / "settings.py"), 2, "app", "db.corp.net", p1, "prod"),
    ]
    assert sorted(stats.warnings) == sorted([
        f"{root / 'dangling'}: dangling symlink",
        f"{root / 'fifo'}: not a regular file",
        f"{root / 'link-dir-out'}: symlink out of root",
        f"{root / 'link-out'}: symlink out of root",
        f"{root / 'sock'}: not a regular file",
    ])
    facts = [facts_of(f) for f in found]
    assert all(f.owner and f.mode and f.mtime for f in facts), facts


def test_bad_bytes_are_scanned_or_counted_never_raised(scanner: Scanner, tmp_path: Path) -> None:
    p1, p2, p3 = make_password(), make_password(), make_password()
    (tmp_path / "nul.log").write_bytes(b"start\x00\n" + uri("nul", p1).encode() + b"\n")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 \xff\xfe\n" + uri("lat", p2).encode() + b"\n")
    long_line = b"A" * (3 * 1024 * 1024) + b" " + uri("long", p3).encode() + b" tail\n"
    (tmp_path / "minified.js").write_bytes(long_line)
    (tmp_path / "image.bin").write_bytes(os.urandom(64) + b"\x00" * 4096)
    (tmp_path / "huge.txt").write_bytes(b"x" * 2048)
    (tmp_path / "bad.ipynb").write_bytes(b'{"cells": [truncated ' + uri("nb", p1).encode())
    (tmp_path / "bad.yml").write_bytes(b"a: [\xff\x00")
    source = FileSource(tmp_path, limits=ArchiveLimits(max_member_size=4 * 1024 * 1024))
    found, stats = scan_items(scanner, source.iter_items())
    assert sorted((r.path, r.line, r.user, r.secret) for r in map(row, found)) == sorted([
        (str(tmp_path / "bad.ipynb"), 1, "nb", p1),
        (str(tmp_path / "latin1.txt"), 2, "lat", p2),
        (str(tmp_path / "minified.js"), 1, "long", p3),
        (str(tmp_path / "nul.log"), 2, "nul", p1),
    ])
    assert stats.skipped == {"binary": 1}
    _, stats = scan_items(scanner, FileSource(tmp_path, max_size=1024).iter_items())
    assert stats.skipped == {"too large": 3}  # minified.js, image.bin, huge.txt


def test_a_single_file_and_stdin(scanner: Scanner, tmp_path: Path) -> None:
    pw = make_password()
    f = tmp_path / ".pgpass"
    f.write_text(f"pg.corp.net:5432:*:app:{pw}\n")
    f.chmod(0o600)
    found, _ = scan_items(scanner, open_source(ScanOptions(path=str(f))).iter_items())
    assert [row(x) for x in found] == [Row(str(f), 1, "app", "pg.corp.net", pw, None)]
    stream = io.BytesIO(f"log line\n{uri('in', pw)}\n".encode())
    found, _ = scan_items(scanner, StdinSource(ArchiveLimits(), stream=stream).iter_items())
    assert [row(x) for x in found] == [Row("<stdin>", 2, "in", "db.corp.net", pw, "prod")]
    big = io.BytesIO(b"y" * 100 + uri("late", pw).encode())
    found, stats = scan_items(scanner, StdinSource(ArchiveLimits(max_member_size=50),
                                                   stream=big).iter_items())
    assert found == [] and stats.skipped == {"stdin truncated at the size limit": 1}


@pytest.mark.parametrize("reveal", [False, True])
def test_cli_scan_folder_and_stdin_redacts_unless_revealed(tmp_path: Path, reveal: bool) -> None:
    pw = make_password()
    (tmp_path / "app.env").write_text(f"DATABASE_URL={uri('app', pw)}\n")
    os.mkfifo(tmp_path / "fifo")
    extra = ["--reveal"] if reveal else []
    res = run_cli("scan", str(tmp_path), "--format", "json", *extra)
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    doc = json.loads(res.stdout)
    assert [(f["path"], f["line"], f["user"], f["secret"]) for f in doc["findings"]] == [
        (str(tmp_path / "app.env"), 1, "app", pw if reveal else redact(pw))]
    assert (pw in res.stdout) is reveal
    assert doc["stats"]["skipped"] == {"not a regular file": 1}
    res = run_cli("scan", "-", "--format", "json", input=f"psql '{uri('s', pw)}'\n")
    assert [(f["path"], f["line"]) for f in json.loads(res.stdout)["findings"]] == [("<stdin>", 1)]
    assert pw not in res.stdout and pw not in res.stderr


def as_a_normal_user(args: list[str]) -> list[str]:
    """`args` run without the capabilities that let root read every file (as root), so file
    modes apply as they do to everyone else; unchanged for a normal user."""
    if os.geteuid() != 0:
        return args
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *args]


def test_unreadable_files_and_directories_are_counted_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    pw = make_password()
    (tmp_path / "app.env").write_text(f"DATABASE_URL={uri('app', pw)}\n")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.txt").write_text("x\n")
    (tmp_path / "secret.txt").write_text("x\n")
    (tmp_path / "locked").chmod(0)
    (tmp_path / "secret.txt").chmod(0)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    try:
        proc = subprocess.run(
            as_a_normal_user([sys.executable, "-m", "pgsweep", "scan", str(tmp_path),
                              "--format", "json", "--no-store"]),
            env=env, capture_output=True, text=True, timeout=300)
    finally:
        (tmp_path / "locked").chmod(0o755)
    doc = json.loads(proc.stdout)
    assert [(f["path"], f["user"]) for f in doc["findings"]] == [(str(tmp_path / "app.env"), "app")]
    unread = [
        f"{tmp_path / 'locked'}: unreadable directory: Permission denied",
        f"{tmp_path / 'secret.txt'}: unreadable: Permission denied",
    ]
    assert sorted(doc["stats"]["warnings"]) == unread
    # what could not be read may hold a leak: the result says so
    assert doc["complete"] is False and sorted(doc["stats"]["incomplete"]) == unread


def test_a_folder_with_an_unreadable_file_is_never_clean(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here\n")
    (tmp_path / "prod.env").write_text(f"DATABASE_URL={uri('app', make_password())}\n")
    (tmp_path / "prod.env").chmod(0)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    scan = as_a_normal_user([sys.executable, "-m", "pgsweep", "scan", str(tmp_path),
                             "--no-store"])
    proc = subprocess.run(scan, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"INCOMPLETE: 1 part(s) of the input could not be read, so this result is not a " \
           f"clean bill: {tmp_path / 'prod.env'}: unreadable: Permission denied" in proc.stdout
    proc = subprocess.run([*scan, "--allow-incomplete"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_reader_that_fails_leaves_the_file_read_as_text(scanner: Scanner) -> None:
    """A notebook nested too deep for the JSON parser: its reader fails, the scan is
    incomplete, and the file's lines are still read as plain text."""
    pw = make_password()
    data = ('{"cells":' + "[" * 50_000 + "]" * 50_000 + "}\n"
            f"DATABASE_URL={uri('app', pw)}\n").encode()
    found, stats = scan_data(scanner, "deep.ipynb", data, path="/ev/deep.ipynb")
    assert [row(f) for f in found] == [Row("/ev/deep.ipynb", 2, "app", "db.corp.net", pw, "prod")]
    assert stats.incomplete == ["/ev/deep.ipynb: reader notebook failed (RecursionError)"]
