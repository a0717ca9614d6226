"""Edges of every run: Ctrl-C, output paths checked before any work, private secret files."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, make_password, run_cli
from gitrepo import fast_history, uri

from pgsweep.sources.git_enumeration import PARALLEL_MIN_OBJECTS

KEY = {"PGSWEEP_STORE_KEY": "k" * 32}


def pgsweep(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            new_session: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pgsweep", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), **(env or {})}, cwd=cwd,
        start_new_session=new_session,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


# --------------------------------------------------------------------------- Ctrl-C
@pytest.fixture(scope="module")
def big_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history large enough for the parallel scan (PARALLEL_MIN_OBJECTS objects)."""
    root = tmp_path_factory.mktemp("big") / "repo"
    fast_history(root, commits=300, files=80, leak_every=10)
    count = subprocess.run(["git", "count-objects", "-v"], cwd=root, capture_output=True,
                           text=True, check=True).stdout
    in_pack = int(next(ln.split()[1] for ln in count.splitlines() if ln.startswith("in-pack")))
    assert in_pack >= PARALLEL_MIN_OBJECTS
    return root


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process under `pid`, started from any of its threads
    (a Dask LocalCluster starts its processes from a thread of its own)."""
    out = []
    todo = [pid]
    while todo:
        p = todo.pop()
        children: list[str] = []
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                children += Path(f"/proc/{p}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for c in map(int, children):
            try:
                cmd = Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            out.append((c, cmd))
            todo.append(c)
    return out


def wait_for(proc: subprocess.Popen[str], want: str) -> list[int]:
    """Wait until a process under `proc` runs a command containing `want`; their pids."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = [p for p, cmd in descendants(proc.pid) if want in cmd]
        if found:
            return [p for p, _ in descendants(proc.pid)]
        time.sleep(0.02)
    raise AssertionError(f"the scan ended (rc {proc.returncode}) before {want!r} ran")


def assert_all_stopped(pids: list[int]) -> None:
    """Every process of `pids` ends within 30 s: no worker or git is left behind."""
    deadline = time.monotonic() + 30
    while any(map(is_running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in pids if is_running(p)] == []


def ignores_sigint(pid: int) -> bool | None:
    """Whether the process ignores SIGINT (its SigIgn mask in /proc), once it has set up:
    a forked worker ignores it before any work, or a terminal's Ctrl-C would make every
    worker print a traceback. None when the process has already ended (a short-lived
    helper, or a worker whose share is done): it can print nothing any more."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        mask = int(next(ln.split()[1] for ln in status.splitlines()
                        if ln.startswith("SigIgn:")), 16)
        if mask & (1 << (signal.SIGINT - 1)):
            return True
        time.sleep(0.02)
    return False


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("jobs, send_to, under_way", [
    ("2", "group", "-m pgsweep scan"),  # a terminal's Ctrl-C: every process of the group
    ("1", "process", "cat-file"),  # kill -INT to pgsweep alone
])
def test_ctrl_c_is_one_line_exit_130_and_not_a_complete_scan(
    big_history: Path, tmp_path: Path, jobs: str, send_to: str, under_way: str
) -> None:
    store = tmp_path / "s.db"
    proc = pgsweep("scan", str(big_history), "--store", str(store), "--jobs", jobs,
                   env=KEY, new_session=True)
    helpers = wait_for(proc, under_way)
    if jobs != "1":
        # a worker may end between being listed and being read: look again until one is live
        deadline = time.monotonic() + 60
        live: list[bool] = []
        while not live and proc.poll() is None and time.monotonic() < deadline:
            workers = [p for p, cmd in descendants(proc.pid) if under_way in cmd]
            live = [s for s in map(ignores_sigint, workers) if s is not None]
        assert live and all(live), live
        helpers = sorted(set(helpers) | {p for p, _ in descendants(proc.pid)})
    if send_to == "group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGINT)
    rc, out, err = finish(proc)
    assert (rc, out, err) == (130, "", "pgsweep: interrupted\n")
    assert_all_stopped(helpers)
    res = run_cli("report", "--store", str(store), "-f", "json", env=KEY)
    assert res.returncode == 0, res.stderr
    (warning,) = res.stderr.splitlines()
    assert warning.startswith(f"pgsweep: warning: the scan of {big_history} started ")
    assert warning.endswith(" was interrupted: credentials may be missing from this plan")
    assert '"complete": false' in res.stdout


def test_ctrl_c_during_an_audit_stops_every_worker(big_history: Path, tmp_path: Path) -> None:
    """The audit's worker processes ignore Ctrl-C; the coordinator stops them, prints one
    line, and the store says which repositories' scans were interrupted."""
    store = tmp_path / "s.db"
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{big_history}\nfile://{big_history}\n")
    proc = pgsweep("audit", "--repos", str(listing), "--store", str(store), "--jobs", "2",
                   "--cache-dir", str(tmp_path / "cache"), env=KEY, new_session=True)
    helpers = wait_for(proc, "cat-file")
    workers = [p for p, cmd in descendants(proc.pid) if "-m pgsweep audit" in cmd]
    states = [ignores_sigint(p) for p in workers]
    live = [state for state in states if state is not None]
    assert live and all(live), states
    os.killpg(proc.pid, signal.SIGINT)
    rc, out, err = finish(proc)
    assert (rc, out, err) == (130, "", "pgsweep: interrupted\n")
    assert_all_stopped(helpers)
    res = run_cli("report", "--store", str(store), "-f", "json", env=KEY)
    assert res.returncode == 0, res.stderr
    assert f"the scan of {big_history} started " in res.stderr
    assert '"complete": false' in res.stdout


# --------------------------------------------------------------------------- outputs
def test_an_output_in_a_missing_folder_outside_cwd_and_home_fails_before_work(
    tmp_path: Path,
) -> None:
    """`scan -` waits on stdin forever: only a check made before the scan can return."""
    folder = Path("/nonexistent")
    assert not folder.exists()  # tests run as root here: a bug would create it
    try:
        proc = pgsweep("scan", "-", "--no-store", "-o", "/nonexistent/x.json", cwd=tmp_path,
                       env={"HOME": str(tmp_path)})
        rc, _, err = finish(proc)
        assert (rc, err) == (2, (
            "pgsweep: error: /nonexistent/x.json: folder /nonexistent does not exist (pgsweep "
            "creates missing folders only under the current folder or your home)\n"))
        assert not folder.exists()
    finally:
        if folder.exists():  # made by a failing run: leave no trace for the next one
            for child in folder.iterdir():
                child.unlink()
            folder.rmdir()


@pytest.mark.parametrize("command", ["report", "verify"])
def test_other_commands_check_their_output_first(tmp_path: Path, command: str) -> None:
    args = ["--verifiers", str(tmp_path / "missing.sql")] if command == "verify" else []
    res = run_cli(command, *args, "-o", "/nonexistent/x.json", cwd=tmp_path,
                  env={"HOME": str(tmp_path)})
    assert res.returncode == 2
    assert res.stderr.startswith("pgsweep: error: /nonexistent/x.json: folder /nonexistent ")


def test_the_readme_case_folder_example_creates_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    pw = make_password()
    (root / "home/bob").mkdir(parents=True)
    (root / "home/bob/.bash_history").write_text(f"psql {uri('bob', pw)}\n")
    home = tmp_path / "home"
    home.mkdir()
    # as in the README: pgsweep sweep --root /mnt/evidence --format json -o ~/case-42/sweep.json
    res = run_cli("sweep", "--root", str(root), "--format", "json", "-o",
                  "~/case-42/sweep.json", env={"HOME": str(home)}, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    report = (home / "case-42" / "sweep.json").read_text()
    assert '"user": "bob"' in report and pw not in report


def test_relative_output_folders_are_created_under_cwd(tmp_path: Path) -> None:
    res = run_cli("scan", "-", "--no-store", "-f", "json", "-o", "reports/2026/x.json",
                  input=f"DB={uri('app', make_password())}\n", cwd=tmp_path,
                  env={"HOME": str(tmp_path / "elsewhere")})
    assert res.returncode == 1, res.stderr
    assert (tmp_path / "reports/2026/x.json").is_file()


def test_an_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    res = run_cli("scan", "-", "--no-store", "-o", str(tmp_path), input="x\n")
    assert (res.returncode, res.stderr) == (
        2, f"pgsweep: error: {tmp_path}: is a folder, not a file\n")


# --------------------------------------------------------------------------- 0600
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


@pytest.mark.parametrize("existing", [False, True])
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "terminal"])
def test_revealed_secrets_go_into_a_private_file(
    tmp_path: Path, existing: bool, fmt: str
) -> None:
    pw = make_password()
    out = tmp_path / "out"
    if existing:
        out.write_text("an older report\n")
        out.chmod(0o644)
    res = run_cli("scan", "-", "--no-store", "--reveal", "-f", fmt, "-o", str(out),
                  input=f"DB={uri('app', pw)}\n")
    assert res.returncode == 1, res.stderr
    assert pw in out.read_text()
    assert mode(out) == 0o600


def test_a_report_without_secrets_keeps_the_usual_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    pw = make_password()
    res = run_cli("scan", "-", "--no-store", "-f", "json", "-o", str(out),
                  input=f"DB={uri('app', pw)}\n")
    assert res.returncode == 1, res.stderr
    assert pw not in out.read_text()
    assert mode(out) == 0o666 & ~umask()


def test_ctrl_c_during_a_dask_audit_is_one_line_and_leaves_no_process(
    big_history: Path, tmp_path: Path,
) -> None:
    """A terminal's Ctrl-C reaches the LocalCluster's processes too: the audit still ends
    with one line and exit 130, and no scheduler, worker or git is left running."""
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{big_history}\nfile://{big_history}\n")
    proc = pgsweep("audit", "--repos", str(listing), "--no-store", "--executor", "dask",
                   "--jobs", "2", "--cache-dir", str(tmp_path / "cache"), env=KEY,
                   new_session=True)
    helpers = wait_for(proc, "cat-file")
    os.killpg(proc.pid, signal.SIGINT)
    rc, out, err = finish(proc)
    assert (rc, out, err) == (130, "", "pgsweep: interrupted\n")
    assert_all_stopped(helpers)
