"""`pgsweep scan` end to end: exit codes, error lines, JSON output, and no plaintext leaks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT, make_password, run_cli
from gitrepo import AUTHOR, EMAIL, GitRepo, date_of, uri

from pgsweep import __version__
from pgsweep.findings.fingerprint import fingerprint, redact

FINDING_KEYS = {
    "id", "rule", "kind", "source", "repository", "path", "line", "commit", "author", "date",
    "secret",
    "fingerprint", "user", "host", "port", "database", "params", "severity",
    "signature_severity", "present_at_head", "credential", "provenance", "last_commit",
    "last_date", "versions",
}
CREDENTIAL_KEYS = {
    "id", "user", "hosts", "database", "kind", "severity", "score", "status", "note",
    "verification", "fingerprint", "secret", "findings", "first_seen", "last_seen",
}


@pytest.fixture
def leaky(tmp_path: Path) -> tuple[GitRepo, str, str]:
    """A repository whose only leak was committed, then deleted."""
    pw = make_password()
    r = GitRepo(tmp_path / "leaky")
    r.write("README.md", "# app\n")
    r.write("deploy/app.env", f"# prod\nDATABASE_URL={uri('svc', pw)}?sslmode=require\n")
    leak = r.commit("deploy config")
    r.git("rm", "-q", "deploy/app.env")
    r.commit("remove secret")
    return r, pw, leak


def assert_one_error_line(proc: subprocess.CompletedProcess[str], message: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr == f"pgsweep: error: {message}\n"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_leak_exits_1_with_a_table(leaky: tuple[GitRepo, str, str]) -> None:
    r, pw, _ = leaky
    proc = run_cli("scan", str(r.root), "--no-progress")
    assert proc.returncode == 1, proc.stderr
    assert "svc@db.prod.acme-corp.net" in proc.stdout
    assert redact(pw) in proc.stdout
    assert "1 credential in 1 finding (1 high)" in proc.stdout


def test_clean_repository_and_fail_on_threshold_exit_0(
    leaky: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    r, _, _ = leaky
    assert run_cli("scan", str(r.root), "--fail-on", "critical").returncode == 0
    clean = GitRepo(tmp_path / "clean")
    clean.write("app.py", "print('hello')\n")
    clean.commit("hello")
    proc = run_cli("scan", str(clean.root))
    assert proc.returncode == 0, proc.stderr
    assert "no leaked PostgreSQL credentials found" in proc.stdout


def test_json_output_fields_and_attribution(
    leaky: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    r, pw, leak = leaky
    out = tmp_path / "report.json"
    proc = run_cli("scan", str(r.root), "--format", "json", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["version"] == 2
    assert doc["tool"] == {"name": "pgsweep", "version": __version__}
    assert doc["stats"]["blobs"] == 2  # README and the env file
    (f,) = doc["findings"]
    assert set(f) == FINDING_KEYS
    assert {k: f[k] for k in FINDING_KEYS - {"id", "credential", "provenance"}} == {
        "rule": "pg.uri.1", "kind": "password", "source": "git",
        "repository": str(r.root), "path": "deploy/app.env",
        "line": 2, "commit": leak, "author": f"{AUTHOR} <{EMAIL}>", "date": date_of(1),
        "secret": redact(pw), "fingerprint": fingerprint(pw), "user": "svc",
        "host": "db.prod.acme-corp.net", "port": "5432", "database": "app",
        "params": {"sslmode": "require"}, "severity": "high", "signature_severity": "high",
        "present_at_head": False, "last_commit": leak, "last_date": date_of(1), "versions": 1,
    }
    assert f["provenance"]["commit"] == leak and f["provenance"]["path"] == "deploy/app.env"
    (c,) = doc["credentials"]
    assert set(c) == CREDENTIAL_KEYS
    assert (c["findings"], c["first_seen"], c["last_seen"], c["secret"]) == (
        [f["id"]], date_of(1), date_of(1), redact(pw))
    assert c["id"] == f["credential"]


def test_reported_peak_memory_is_the_scans_own(
    leaky: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    """Started by a process holding 400 MiB, a scan still reports only its own peak
    (getrusage's ru_maxrss would report the launcher's)."""
    import os
    import sys

    r, _, _ = leaky
    out = tmp_path / "report.json"
    launcher = (
        "import subprocess, sys\n"
        "ballast = bytearray(400 * 2**20)\n"
        "for i in range(0, len(ballast), 4096): ballast[i] = 1\n"
        "sys.exit(subprocess.run(sys.argv[1:]).returncode)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", launcher, sys.executable, "-m", "pgsweep", "scan", str(r.root),
         "--no-store", "--format", "json", "--output", str(out)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    peak = json.loads(out.read_text())["stats"]["peak_rss_mib"]
    assert 10 < peak < 300


def test_no_plaintext_without_reveal(leaky: tuple[GitRepo, str, str], tmp_path: Path) -> None:
    r, pw, _ = leaky
    out = tmp_path / "report.json"
    for fmt in ("terminal", "json"):
        proc = run_cli("scan", str(r.root), "--format", fmt, "--output", str(out))
        assert proc.returncode == 1
        for text in (proc.stdout, proc.stderr, out.read_text()):
            assert pw not in text
        proc = run_cli("scan", str(r.root), "--format", fmt, "--progress")
        assert pw not in proc.stdout + proc.stderr
    revealed = run_cli("scan", str(r.root), "--format", "json", "--output", str(out), "--reveal")
    assert revealed.returncode == 1
    assert json.loads(out.read_text())["findings"][0]["secret"] == pw


def test_error_lines(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert_one_error_line(run_cli("scan", str(missing)), f"{missing}: no such file or directory")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nonexistent\n")
    assert_one_error_line(run_cli("scan", str(broken)), f"{broken}: not a git repository")
    plain = tmp_path / "plain"
    plain.mkdir()
    assert_one_error_line(run_cli("scan", str(plain), "--since", "HEAD~1"),
                          f"{plain}: not a git repository")
    repo = GitRepo(tmp_path / "repo")
    repo.commit("one")
    assert_one_error_line(run_cli("scan", str(repo.root), "--since", "v9"),
                          f"v9: unknown revision in {repo.root}")
    assert_one_error_line(run_cli("scan", str(repo.root), "--commit-range", "HEAD"),
                          "HEAD: expected a commit range A..B")
    bad = run_cli("scan", str(repo.root), "--fail-on", "severe")
    assert bad.returncode == 2 and bad.stderr.startswith("pgsweep: error: unknown severity")


@pytest.mark.parametrize("extra", [(), ("--since", "HEAD~1"), ("--format", "json")])
def test_an_empty_repository_is_a_clean_scan(tmp_path: Path, extra: tuple[str, ...]) -> None:
    empty = GitRepo(tmp_path / "empty").root
    proc = run_cli("scan", str(empty), "--store", str(tmp_path / "store.db"), *extra)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        f"pgsweep: warning: {empty}: empty git repository (no commits): nothing to scan "
        "(--worktree reads its files, --staged its index)\n"
    )
    if "json" in extra:
        assert json.loads(proc.stdout)["findings"] == []
    else:
        assert "no leaked PostgreSQL credentials found" in proc.stdout


def test_a_shallow_clone_s_unknown_since_gets_a_hint(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "full")
    for n in range(3):
        r.write("a.txt", f"{n}\n")
        r.commit(f"c{n}")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{r.root}", str(shallow)],
                   check=True, capture_output=True)
    assert_one_error_line(
        run_cli("scan", str(shallow), "--no-store", "--since", "HEAD~2"),
        f"HEAD~2: unknown revision in {shallow} (a shallow clone: fetch more history with "
        "`git fetch --deepen=N` or `git fetch --unshallow`)",
    )


def test_since_in_ci_reports_exactly_the_new_leak(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    old = make_password()
    r.write("app.env", f"DB={uri('old', old)}\n")
    for i in range(25):
        r.write("CHANGELOG", f"{i}\n")
        r.commit(f"release {i}")
    r.git("branch", "base")
    new = make_password()
    r.write("ci.env", f"DB={uri('new', new)}\n")
    r.commit("new leak")
    out = tmp_path / "since.json"
    proc = run_cli("scan", str(r.root), "--since", "base", "--format", "json", "-o", str(out),
                   "--reveal")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(out.read_text())
    assert [(f["path"], f["line"], f["secret"]) for f in doc["findings"]] == [("ci.env", 1, new)]
    assert doc["stats"]["blobs"] == 1


def test_shallow_clone_warns_on_stderr(leaky: tuple[GitRepo, str, str], tmp_path: Path) -> None:
    r, _, _ = leaky
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{r.root}", str(clone)],
                   check=True, capture_output=True)
    proc = run_cli("scan", str(clone))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (f"pgsweep: warning: {clone}: shallow repository: history before the "
                           "shallow boundary is not scanned\n")


def test_pgsweep_own_repository_has_nothing_above_low(tmp_path: Path) -> None:
    """Fixtures generate passwords at run time; signature examples are recognised."""
    assert (REPO_ROOT / ".git").exists(), "the tests run from a git checkout"
    clone = tmp_path / "self"
    subprocess.run(["git", "clone", "-q", "--single-branch", "--no-local", str(REPO_ROOT),
                    str(clone)], check=True, capture_output=True)
    out = tmp_path / "self.json"
    proc = run_cli("scan", str(clone), "--fail-on", "medium", "--format", "json", "-o", str(out))
    doc = json.loads(out.read_text())
    above_low = sorted({(f["path"], f["line"], f["rule"]) for f in doc["findings"]
                        if f["severity"] not in ("low", "info") and f["present_at_head"]})
    assert above_low == [], "\n".join(f"{p}:{n} {r}" for p, n, r in above_low)
    assert [f for f in doc["findings"] if f["severity"] not in ("low", "info")] == []
    assert proc.returncode == 0, proc.stderr


def test_a_malformed_signatures_folder_is_one_error_line(
    leaky: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "sigs"
    folder.mkdir()
    (folder / "pg_bad.yml").write_text("id: pg.bad.1\nname: half a signature\n")
    r, _, _ = leaky
    proc = run_cli("scan", str(r.root), "--no-store", "--signatures", str(folder))
    assert_one_error_line(proc, "pg_bad.yml: missing keys ['description', 'pattern', "
                                "'severity', 'examples', 'negative_examples']")


def test_info_findings_are_folded_in_the_terminal_and_below_the_default_fail_on(
    tmp_path: Path,
) -> None:
    pw = make_password()
    env = tmp_path / "app.env"
    env.write_text("DOCS_URL=postgres://app:changeme@db.corp.net/app\n"
                   f"DATABASE_URL=postgres://svc:{pw}@db.corp.net/app\n"
                   "LOCAL_URL=postgres://dev:123456@localhost/dev\n")
    folded = run_cli("scan", str(env), "--no-store")
    assert folded.returncode == 1, folded.stderr
    assert "svc@db.corp.net" in folded.stdout
    assert "app@db.corp.net" not in folded.stdout and "dev@localhost" not in folded.stdout
    assert "2 info-level credentials not listed (--show-info)" in folded.stdout
    listed = run_cli("scan", str(env), "--no-store", "--show-info")
    assert "app@db.corp.net" in listed.stdout and "dev@localhost" in listed.stdout
    assert "not listed" not in listed.stdout
    out = tmp_path / "r.json"
    run_cli("scan", str(env), "--no-store", "-f", "json", "-o", str(out))
    doc = json.loads(out.read_text())
    assert sorted((f["line"], f["user"], f["severity"]) for f in doc["findings"]) == [
        (1, "app", "info"), (2, "svc", "high"), (3, "dev", "info")]
    env.write_text("DOCS_URL=postgres://app:changeme@db.corp.net/app\n")
    assert run_cli("scan", str(env), "--no-store").returncode == 0
    assert run_cli("scan", str(env), "--no-store", "--fail-on", "info").returncode == 1
