"""Store and key faults are found before a scan starts: one error line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import REPO_ROOT, make_password, run_cli
from gitrepo import GitRepo, uri

KEY = {"PGSWEEP_STORE_KEY": "k" * 32}


def scan_waiting_on_stdin(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`scan -` with a stdin that never ends: only a check made before reading returns.

    A check made after the scan would wait on stdin until the timeout fails the test.
    """
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgsweep", "scan", "-", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
        text=True,
    )
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store holding one recorded scan."""
    r = GitRepo(tmp_path / "repo")
    r.write("a.env", f"DB={uri('app', make_password())}\n")
    r.commit("one")
    path = tmp_path / "s.db"
    res = run_cli("scan", str(r.root), "--store", str(path), env=KEY)
    assert res.returncode == 1, res.stderr
    return path


def test_a_fifo_as_key_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "pgsweep").mkdir(parents=True)
    os.mkfifo(config / "pgsweep" / "store.key")
    rc, err = scan_waiting_on_stdin("--store", str(tmp_path / "s.db"),
                                    env={"XDG_CONFIG_HOME": str(config)})
    assert rc == 2
    assert err == (f"pgsweep: error: {config}/pgsweep/store.key: the store key is not a "
                   "regular file\n")


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_store_that_is_not_a_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "s.db"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    rc, err = scan_waiting_on_stdin("--store", str(path), env=KEY)
    assert rc == 2
    assert err == f"pgsweep: error: {path}: not a findings store (not a regular file)\n"


def test_a_damaged_store_is_refused_before_the_scan(store: Path) -> None:
    data = bytearray(store.read_bytes())
    for i in range(4096 * 2, len(data) - 1, 3):  # every page after the first two
        data[i] ^= 0xA5
    store.write_bytes(bytes(data))
    rc, err = scan_waiting_on_stdin("--store", str(store), env=KEY)
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith(f"pgsweep: error: {store}: ")
    assert "internal error" not in err
    res = run_cli("report", "--store", str(store), env=KEY)
    assert res.returncode == 2
    assert res.stderr == err


def test_damage_only_a_full_check_finds_is_refused_before_the_scan(store: Path) -> None:
    """The occurrences table's pages damaged: opening and reading `meta` still work."""
    import sqlite3

    conn = sqlite3.connect(store)
    (root_page,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'occurrences'").fetchone()
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(store.read_bytes())
    start = (root_page - 1) * page_size
    for i in range(start + 8, start + page_size):
        data[i] ^= 0x5A
    store.write_bytes(bytes(data))
    rc, err = scan_waiting_on_stdin("--store", str(store), env=KEY)
    assert (rc, err) == (2, (
        f"pgsweep: error: {store}: the findings store is damaged (SQLite quick_check "
        "failed); restore it from a copy or remove it\n"))


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """Not writable even by root (tests run as root here): the ext4 immutable flag."""
    subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)


def test_a_read_only_store_is_refused_before_the_scan(store: Path) -> None:
    with immutable(store):
        rc, err = scan_waiting_on_stdin("--store", str(store), env=KEY)
    assert rc == 2
    assert err == (f"pgsweep: error: {store}: cannot write the findings store (attempt to "
                   "write a readonly database)\n")


def test_a_store_in_a_read_only_folder_is_refused_before_the_scan(store: Path) -> None:
    with immutable(store.parent):  # SQLite cannot create its journal (nor WAL index) there
        rc, err = scan_waiting_on_stdin("--store", str(store), env=KEY)
        report = run_cli("report", "--store", str(store), "--format", "json", env=KEY)
    assert rc == 2
    assert err == (f"pgsweep: error: {store}: cannot write the findings store (unable to "
                   "open database file)\n")
    # Reading it still works: the WAL store is read as it is on disk.
    assert (report.returncode, report.stderr) == (0, "")
    [cred] = json.loads(report.stdout)["credentials"]
    assert cred["user"] == "app"


def test_the_default_store_read_only_is_a_warning_and_the_scan_goes_on(
    tmp_path: Path, private_user_dirs: Path
) -> None:
    data = private_user_dirs / "data" / "pgsweep"
    data.mkdir(parents=True)
    res = run_cli("scan", "-", input="nothing\n", env=KEY)  # creates the default store
    assert res.returncode == 0, res.stderr
    with immutable(data / "store.db"):
        res = run_cli("scan", "-", input=f"DB={uri('app', make_password())}\n", env=KEY)
    assert res.returncode == 1
    assert res.stderr == (
        f"pgsweep: warning: not recording into the findings store: {data}/store.db: cannot "
        "write the findings store (attempt to write a readonly database) (use --store or "
        "--no-store)\n")
