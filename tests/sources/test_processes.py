"""Live processes: real children started here with a password in their environment or command
line, found by pid; another user's environment is a counted skip."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_password

from pgsweep.core.models import Chunk, ProcessProvenance, Skipped
from pgsweep.sources.processes import ProcessSource

SLEEP = "import time; time.sleep(60)"


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:  # only the processes this test started
        child.kill()
        child.wait()


def test_sweep_processes_names_the_pid(children: list[subprocess.Popen[bytes]]) -> None:
    pw_env, pw_cmd = make_password(), make_password()
    sleep = shutil.which("sleep")
    assert sleep is not None
    env_child = subprocess.Popen([sleep, "60"], env={
        "PATH": "/usr/bin:/bin", "PGHOST": "db.corp.example", "PGUSER": "app",
        "PGPASSWORD": pw_env})
    cmd_child = subprocess.Popen([sys.executable, "-c", SLEEP,
                                  f"postgresql://report:{pw_cmd}@pg.corp.example/r"],
                                 env={"PATH": "/usr/bin:/bin"})
    children += [env_child, cmd_child]
    out = subprocess.run(
        [sys.executable, "-m", "pgsweep", "sweep", "--processes", "--no-homes",
         "--format", "json"], capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr
    records = {(r["provenance"]["pid"], r["provenance"]["part"]): r
               for r in json.loads(out.stdout)["findings"] if r["source"] == "process"}
    me = pwd.getpwuid(os.getuid()).pw_name
    env = records[(env_child.pid, "environ")]
    assert (env["path"], env["line"], env["user"], env["host"]) == (
        f"/proc/{env_child.pid}/environ", 4, "app", "db.corp.example")
    assert {k: env["provenance"][k] for k in ("user", "exe")} == {
        "user": me, "exe": os.path.realpath(sleep)}
    assert env["provenance"]["started"].endswith("+00:00")
    cmd = records[(cmd_child.pid, "cmdline")]
    assert (cmd["path"], cmd["line"], cmd["user"], cmd["host"]) == (
        f"/proc/{cmd_child.pid}/cmdline", 1, "report", "pg.corp.example")
    assert pw_env not in out.stdout and pw_cmd not in out.stdout
    assert "sweeping 0 homes" not in out.stderr  # --no-homes reads no home


def test_no_homes_needs_processes() -> None:
    out = subprocess.run([sys.executable, "-m", "pgsweep", "sweep", "--no-homes"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert out.stderr.strip().endswith("--no-homes leaves nothing to sweep: add --processes")


def test_another_users_environment_is_a_counted_skip(
        children: list[subprocess.Popen[bytes]]) -> None:
    """Read as an unprivileged user: a root process's environment is a skip with its
    reason, while its command line (readable by everyone) is still read."""
    if os.getuid() != 0:
        pytest.fail("this test drops privileges and must run as root (as the suite does)")
    pw_env = make_password()
    child = subprocess.Popen([sys.executable, "-c", SLEEP,
                              f"postgresql://root:{pw_env}@pg.corp.example/r"],
                             env={"PATH": "/usr/bin:/bin",
                                  "PGPASSWORD": pw_env})  # pgsweep:ignore (a variable)
    children.append(child)
    nobody = pwd.getpwnam("nobody")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child drops to nobody and reports what it could read
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            rows: list[list[str | bool | None]] = []
            for item in ProcessSource().iter_items():
                if isinstance(item, Skipped) and item.where.startswith(f"/proc/{child.pid}/"):
                    rows.append(["skip", item.where, item.reason, item.incomplete])
                elif (isinstance(item, Chunk) and isinstance(item.provenance, ProcessProvenance)
                      and item.provenance.pid == child.pid):
                    rows.append(["chunk", item.provenance.part, item.provenance.user,
                                 item.provenance.exe])
            os.write(write, json.dumps(rows).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        rows = json.loads(fh.read())
    os.waitpid(pid, 0)
    assert rows == [
        ["skip", f"/proc/{child.pid}/environ",
         "process: environ not readable (another user's process)", True],
        # the executable's path is not readable either: the command name stands in
        ["chunk", "cmdline", "root", Path(f"/proc/{child.pid}/comm").read_text().strip()],
    ]
