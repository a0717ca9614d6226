"""What a first-time user sees when running pgsweep as the docs show it: `scan .` and
`scan --staged` from inside a repository, a clean or incomplete scan, the terminal's next
steps, a sweep of a case folder, and one clear line for each common mistake (a typo in a
flag, a bad --format, a folder or non-UTF-8 file as config, a disk image as --root, a URL
that cannot be mirrored, a subfolder of a repository)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from gitrepo import GitRepo

from pgsweep.findings.fingerprint import redact


def readme_repo(tmp_path: Path) -> GitRepo:
    """A repository whose one commit holds a README."""
    r = GitRepo(tmp_path / "app")
    r.write("README.md", "# app\n")
    r.commit("readme")
    return r


@pytest.fixture
def repo(tmp_path: Path) -> tuple[GitRepo, str]:
    """A repository with one leak committed in config/database.yml, line 4."""
    pw = make_password()
    r = GitRepo(tmp_path / "app")
    r.write("config/database.yml", "production:\n  adapter: postgresql\n"
            "  username: billing_app\n"
            f"  password: {pw}\n  host: db-prod.acme-corp.net\n  database: billing\n")
    r.commit("config")
    return r, pw


@pytest.mark.parametrize("fmt", ["json", "sarif", "csv"])
def test_scan_dot_names_the_repository_by_its_absolute_path(
    repo: tuple[GitRepo, str], fmt: str
) -> None:
    r, _ = repo
    proc = run_cli("scan", ".", "--no-store", "--format", fmt, cwd=r.root)
    assert proc.returncode == 1, proc.stderr
    named: tuple[str, ...]
    if fmt == "json":
        (f,) = json.loads(proc.stdout)["findings"]
        named = (f["repository"], f["provenance"]["repo"])
    elif fmt == "sarif":
        (result,) = json.loads(proc.stdout)["runs"][0]["results"]
        named = (result["properties"]["repository"],)
    else:
        (row,) = csv.DictReader(io.StringIO(proc.stdout))
        named = (row["repository"],)
    assert set(named) == {str(r.root)}


def test_a_staged_scan_from_inside_names_the_repository_by_its_absolute_path(
    tmp_path: Path,
) -> None:
    pw = make_password()
    r = readme_repo(tmp_path)
    r.write("etl.py", f'DSN = "host=10.0.4.12 user=etl password={pw} dbname=warehouse"\n')
    r.git("add", "etl.py")
    proc = run_cli("scan", "--staged", "--no-store", "--format", "json", cwd=r.root)
    assert proc.returncode == 1, proc.stderr
    (f,) = json.loads(proc.stdout)["findings"]
    assert (f["repository"], f["path"], f["line"], f["user"], f["host"], f["secret"]) == (
        str(r.root), "etl.py", 1, "etl", "10.0.4.12", redact(pw))
    # the terminal: what a pre-commit hook shows, and what to do about a password not
    # committed yet (no rotation: keep it out of the commit)
    shown = run_cli("scan", "--staged", "--no-store", cwd=r.root, env={"COLUMNS": "80"})
    assert shown.stdout.splitlines()[3:7] == [
        "          etl.py:1  (not committed)", "",
        "Next: not committed yet: move the password out of the file (an environment",
        "      variable, a secret store), git add it again, and commit"]
    # a staged copy of a committed password is in history already: rotate it
    r.commit("etl")
    r.write("copy/etl.py", (r.root / "etl.py").read_text())
    r.git("add", "copy/etl.py")
    copied = run_cli("scan", "--staged", "--no-store", cwd=r.root, env={"COLUMNS": "80"})
    assert "Next: --format markdown    the rotation plan: why each severity, the SQL to run," \
        in copied.stdout.splitlines()


@pytest.mark.parametrize(("args", "message"), [
    (("scan", ".", "--fromat", "json"),
     "No such option: --fromat (Possible options: --format); see 'pgsweep scan --help'"),
    (("scan", ".", "--format", "yaml"),
     "Invalid value for '--format' / '-f': 'yaml' is not one of 'terminal', 'json', "
     "'markdown', 'html', 'sarif', 'csv', 'jsonl'; see 'pgsweep scan --help'"),
    (("sacn",), "No such command 'sacn'. Did you mean 'scan'?; see 'pgsweep --help'"),
    (("baseline", "create", "."),
     "Missing option '--output' / '-o'; see 'pgsweep baseline create --help'"),
    (("scan", "a", "b"), "Got unexpected extra argument(s) (b); see 'pgsweep scan --help'"),
])
def test_a_mistyped_command_line_is_one_error_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    proc = run_cli(*args, cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"pgsweep: error: {message}\n")


def test_help_exits_0_and_no_command_shows_the_help_and_exits_2() -> None:
    helped = run_cli("scan", "--help")
    assert (helped.returncode, helped.stderr) == (0, "")
    assert "Usage: pgsweep scan [OPTIONS]" in helped.stdout
    bare = run_cli()
    assert (bare.returncode, bare.stderr) == (2, "")
    assert "Usage: pgsweep [OPTIONS] COMMAND" in bare.stdout and "scan" in bare.stdout


def test_the_terminal_says_what_leaked_where_and_what_to_do_next(
    repo: tuple[GitRepo, str], tmp_path: Path
) -> None:
    r, pw = repo
    (commit,) = r.git("rev-list", "HEAD").split()
    stored = run_cli("scan", str(r.root), "--store", str(tmp_path / "s.db"),
                     env={"COLUMNS": "80"})
    assert stored.returncode == 1, stored.stderr
    lines = stored.stdout.splitlines()
    assert lines[:5] == [
        "Leaked PostgreSQL credentials (1)", "",
        "CRITICAL  billing_app@db-prod.acme-corp.net/billing", lines[3],
        f"          config/database.yml:4  ({commit[:8]})"]
    assert lines[3].startswith(f"          {redact(pw)}  c")
    assert lines[5:9] == [
        "", "Next: pgsweep explain ID   why a credential got its severity",
        "      pgsweep report       the rotation plan: SQL to run, what to audit, cleanup",
        ""]
    assert lines[9] == "1 credential in 1 finding (1 critical)"
    assert lines[10].startswith("scanned 1 blob (")
    assert len(lines) == 11
    cold = run_cli("scan", str(r.root), "--no-store", env={"COLUMNS": "80"})
    assert cold.stdout.splitlines()[6:8] == [
        "Next: --format markdown    the rotation plan: why each severity, the SQL to run,",
        "                           what to audit and clean up"]


def test_a_clean_scan_says_so_in_two_lines(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "clean")
    r.write("app.py", "print('hello')\n")
    r.commit("hello")
    proc = run_cli("scan", str(r.root), "--no-store")
    assert proc.returncode == 0, proc.stderr
    (said, scanned) = proc.stdout.splitlines()
    assert said == "no leaked PostgreSQL credentials found"
    assert scanned.startswith("scanned 1 blob (15 bytes) in ")
    assert scanned.endswith("s; 0 suppressed, 0 skipped")


def test_a_staged_password_is_not_called_git_history(tmp_path: Path) -> None:
    """Caught by the pre-commit hook before any commit holds it: a file about to be committed,
    not history every clone copies, and not 'removed from the branch tip'."""
    pw = make_password()
    r = readme_repo(tmp_path)
    r.write("run.sh", f"PGPASSWORD={pw} psql -h db.acme-corp.net -U ops -d sales\n")
    r.git("add", "run.sh")
    store = str(tmp_path / "s.db")
    scanned = run_cli("scan", "--staged", "--store", store, "--format", "json", cwd=r.root)
    assert scanned.returncode == 1, scanned.stderr
    (cred,) = json.loads(scanned.stdout)["credentials"]
    explained = run_cli("explain", cred["id"], "--store", store)
    factors = [line.split()[1] for line in explained.stdout.splitlines()[2:] if line.strip()]
    assert factors == ["host.public", "channel.config-file", "age.unknown", "transport.weak"]
    plan = run_cli("report", "--store", store).stdout
    assert f"- config-file, `{r.root}:run.sh:1`, staged, not committed, still present" in plan
    assert "git-history" not in plan and "still in history" not in plan
    assert ". 1 leaked credential to rotate now (1 high), highest risk first." in plan


def test_a_config_that_cannot_be_read_is_one_error_line(
    repo: tuple[GitRepo, str], tmp_path: Path
) -> None:
    r, _ = repo
    folder = run_cli("scan", str(r.root), "--config", str(tmp_path), "--no-store")
    assert (folder.returncode, folder.stdout, folder.stderr) == (2, "", (
        f"pgsweep: error: {tmp_path}: a folder, not a config file (pgsweep.toml or "
        "pyproject.toml)\n"))
    (r.root / "pgsweep.toml").write_bytes(b'fail_on = "\xff"\n')
    for args in (("scan", str(r.root), "--no-store"), ("baseline", "create", str(r.root),
                                                      "-o", str(tmp_path / "b.json"))):
        proc = run_cli(*args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (
            2, "", f"pgsweep: error: {r.root / 'pgsweep.toml'}: not valid TOML: not UTF-8 text\n")


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_blob_size_limit_below_one_byte_is_refused_not_a_clean_scan(
    repo: tuple[GitRepo, str], size: str
) -> None:
    r, _ = repo
    proc = run_cli("scan", str(r.root), "--no-store", f"--max-blob-size={size}")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (f"pgsweep: error: Invalid value for '--max-blob-size': {size} is not "
                           "in the range x>=1; see 'pgsweep scan --help'\n")


def test_sweep_of_a_disk_image_file_says_to_mount_it(tmp_path: Path) -> None:
    image = tmp_path / "laptop.img"
    image.write_bytes(b"\0" * 512)
    proc = run_cli("sweep", "--root", str(image))
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", (
        f"pgsweep: error: {image}: a file, not a folder: mount a disk image read-only (mount -o "
        "ro,loop,noexec IMAGE /mnt/evidence) and sweep --root /mnt/evidence\n"))
    missing = run_cli("sweep", "--root", str(tmp_path / "nope"))
    assert (missing.returncode, missing.stderr) == (
        2, f"pgsweep: error: {tmp_path / 'nope'}: no such folder\n")


def test_a_dangling_commit_is_not_called_history(tmp_path: Path) -> None:
    pw = make_password()
    r = readme_repo(tmp_path)
    r.git("checkout", "-q", "-b", "scratch")
    r.write("d.py", f'URL = "postgresql://dang:{pw}@pgx.acme-corp.net/z"\n')
    dangling = r.commit("scratch work")
    r.git("checkout", "-q", "main")
    r.git("branch", "-q", "-D", "scratch")
    r.git("reflog", "expire", "--expire=now", "--all")
    store = str(tmp_path / "s.db")
    proc = run_cli("scan", str(r.root), "--unreachable", "--store", store,
                   env={"COLUMNS": "200"})
    assert proc.returncode == 1, proc.stderr
    assert f"          d.py:1  ({dangling[:8]}, unreachable: no ref holds it)" in (
        proc.stdout.splitlines())
    # neither at the tip nor 'removed from the tip but still in history'
    (cid,) = [ln.split()[-1] for ln in proc.stdout.splitlines() if "dang@" in ln]
    explained = run_cli("explain", cid, "--store", store).stdout
    assert "git.history-only" not in explained and "git.at-head" not in explained
    plan = run_cli("report", "--store", store).stdout
    assert (f"- git-history, `{r.root}:d.py:1`, introduced in {dangling[:12]}, by Ada Lovelace "
            "&lt;ada@example.org>, unreachable object, seen ") in plan
    assert "history only" not in plan


def test_a_git_scan_from_a_subfolder_names_the_repository_root(
    repo: tuple[GitRepo, str], tmp_path: Path
) -> None:
    r, _ = repo
    proc = run_cli("scan", "--staged", "--no-store", cwd=r.root / "config")
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", (
        f"pgsweep: error: .: not a git repository (it is inside {r.root}: scan that, the "
        "repository's root)\n"))
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = run_cli("scan", str(plain), "--since", "HEAD", "--no-store")
    assert proc.stderr == f"pgsweep: error: {plain}: not a git repository\n"


def test_an_incomplete_clean_scan_does_not_read_as_clean(tmp_path: Path) -> None:
    r = readme_repo(tmp_path)
    (r.root / ".git/refs/heads/broken").write_text("12" * 20 + "\n")
    proc = run_cli("scan", str(r.root), "--no-store", env={"COLUMNS": "300"})
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert lines[0] == "no leaked PostgreSQL credentials found in what could be read"
    assert lines[2].startswith("INCOMPLETE: 1 part(s) of the input could not be read")


def test_scan_of_a_url_that_cannot_be_mirrored_is_an_error_even_if_incomplete_is_allowed(
    tmp_path: Path,
) -> None:
    gone = tmp_path / "gone"
    proc = run_cli("scan", f"file://{gone}", "--no-store", "--allow-incomplete",
                   "--cache-dir", str(tmp_path / "cache"))
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", (
        f"pgsweep: error: file://{gone}: cannot mirror (fatal: '{gone}' does not appear to be "
        "a git repository)\n"))


def test_a_scan_that_failed_with_an_error_is_not_reported_as_interrupted(
    repo: tuple[GitRepo, str], tmp_path: Path
) -> None:
    r, _ = repo
    store = str(tmp_path / "s.db")
    missing = run_cli("scan", str(tmp_path / "nope"), "--store", store)
    unknown = run_cli("scan", str(r.root), "--since", "v9", "--store", store)
    assert (missing.returncode, unknown.returncode) == (2, 2)
    assert run_cli("scan", str(r.root), "--store", store).returncode == 1
    reported = run_cli("report", "--store", store)
    assert (reported.returncode, reported.stderr) == (0, "")


@pytest.mark.parametrize(("name", "first"), [
    ("r.json", '{\n  "version": 2,'), ("r.sarif", '{\n  "$schema": '), ("r.csv", "id,rule,"),
    ("r.md", "# pgsweep rotation plan"), ("r.html", "<!DOCTYPE html>"),
    ("r.txt", "Leaked PostgreSQL credentials (1)"),
])
def test_an_output_file_s_extension_chooses_the_format(
    repo: tuple[GitRepo, str], tmp_path: Path, name: str, first: str
) -> None:
    r, _ = repo
    out = tmp_path / name
    proc = run_cli("scan", str(r.root), "--no-store", "-o", str(out))
    assert (proc.returncode, proc.stdout) == (1, ""), proc.stderr
    assert out.read_text().startswith(first)
    forced = run_cli("scan", str(r.root), "--no-store", "-o", str(out), "--format", "csv")
    assert forced.returncode == 1 and out.read_text().startswith("id,rule,")


def test_a_sweep_names_the_user_and_repository_of_a_leak_in_a_home_s_history(
    tmp_path: Path,
) -> None:
    """`sweep --root ev --repos` from the case folder: a relative root, as typed."""
    pw = make_password()
    (tmp_path / "ev/etc").mkdir(parents=True)
    (tmp_path / "ev/etc/passwd").write_text("bob:x:1001:1001::/home/bob:/bin/bash\n")
    proj = GitRepo(tmp_path / "ev/home/bob/proj")
    proj.write(".env", f"DATABASE_URL=postgresql://bob:{pw}@pg-main.acme-corp.net/sales\n")
    leak = proj.commit("env")
    proj.git("rm", "-q", ".env")
    proj.commit("rm")
    proc = run_cli("sweep", "--root", "ev", "--repos", cwd=tmp_path, env={"COLUMNS": "200"})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[3] == (f"          bob: {proj.root}: .env:1  ({leak[:8]}, not at HEAD, still "
                        "in history)")
    assert ("bob (ev/home/bob): 0 files, 1 finding, 1 credential, 0 skipped, 0 encrypted saved "
            "passwords, 1 repository") in lines
    doc = json.loads(run_cli("sweep", "--root", "ev", "--repos", "-f", "json",
                             cwd=tmp_path).stdout)
    (f,) = doc["findings"]
    assert (f["repository"], f["path"], f["commit"], f["provenance"]["user"]) == (
        str(proj.root), ".env", leak, "bob")


def test_signatures_check_of_a_folder_without_signature_files_is_an_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "README.md").write_text("not a signature\n")
    proc = run_cli("signatures", "check", str(tmp_path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", (
        f"pgsweep: error: {tmp_path}: no signature files (*.yml, *.yaml) in this folder\n"))
