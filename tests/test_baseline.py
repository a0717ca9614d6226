"""Baselines: hash-only round trip, and migration from detect-secrets and gitleaks triage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_password, run_cli, scan_tree
from gitrepo import GitRepo

import pgsweep.findings.baseline as baseline
from pgsweep.findings.fingerprint import redact

# The detect-secrets console script installed next to the Python running the tests.
DETECT_SECRETS = Path(sys.executable).with_name("detect-secrets")


@pytest.fixture
def detect_secrets_present() -> None:
    """detect-secrets is a dependency: its CLI sits next to the test interpreter."""
    assert DETECT_SECRETS.is_file(), "the detect-secrets CLI is not installed"


def _jsonl(stdout: str) -> list[tuple[str, int, str | None, str]]:
    return [(r["path"].rsplit("/", 1)[-1], r["line"], r["user"], r["secret"])
            for r in map(json.loads, stdout.splitlines())]


def _decisions(path: Path) -> list[tuple[str, int, bool | None]]:
    return [(e["path"], e["line"], e["is_secret"]) for e in json.loads(path.read_text())["entries"]]


def _tree(root: Path) -> dict[str, str]:
    pw = {k: make_password() for k in ("a", "b", "c")}
    root.mkdir(parents=True, exist_ok=True)
    (root / "settings.env").write_text(
        f"A=postgres://alice:{pw['a']}@db.corp.net/prod\n"
        f"B=postgres://bob:{pw['b']}@db.corp.net/prod\n"
    )
    (root / "deploy.sh").write_text(f"psql postgres://carol:{pw['c']}@10.9.8.7/ops\n")
    return pw


def test_round_trip_fresh_baseline_reports_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pw = _tree(root)
    out = tmp_path / "pgsweep-baseline.json"
    proc = run_cli("baseline", "create", str(root), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    for secret in pw.values():
        assert secret not in text and secret not in proc.stdout + proc.stderr
    doc = json.loads(text)
    assert doc["version"] == 1
    assert sorted((e["path"], e["line"], e["user"], e["redacted"]) for e in doc["entries"]) == [
        ("deploy.sh", 1, "carol", redact(pw["c"])),
        ("settings.env", 1, "alice", redact(pw["a"])),
        ("settings.env", 2, "bob", redact(pw["b"])),
    ]
    proc = run_cli("scan", str(root), "--baseline", str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"] == [] and report["stats"]["suppressed"]["baseline"] == 3

    # a new leak, and a known one moved down a line, in the same file
    new = make_password()
    (root / "settings.env").write_text(
        f"# moved\nA=postgres://alice:{pw['a']}@db.corp.net/prod\n"
        f"B=postgres://bob:{pw['b']}@db.corp.net/prod\n"
        f"D=postgres://dave:{new}@db.corp.net/prod\n"
    )
    proc = run_cli("scan", str(root), "--baseline", str(out), "--format", "jsonl")
    assert proc.returncode == 1
    assert _jsonl(proc.stdout) == [("settings.env", 4, "dave", redact(new))]


def test_recreate_keeps_audit_decisions(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _tree(root)
    out = tmp_path / "b.json"
    assert run_cli("baseline", "create", str(root), "-o", str(out)).returncode == 0
    # audit: first entry (deploy.sh) true, second false, then stop (EOF) before the third
    proc = run_cli("baseline", "audit", str(out), input="y\nn\n")
    assert proc.returncode == 0, proc.stderr
    # the answers ran out at a prompt: the summary still starts a line of its own
    assert "\n1 true positive, 1 false positive, 1 undecided" in proc.stdout
    decided = _decisions(out)
    assert decided == [
        ("deploy.sh", 1, True), ("settings.env", 1, False), ("settings.env", 2, None)
    ]
    # an invalid answer is asked again; s skips; q stops
    proc = run_cli("baseline", "audit", str(out), input="maybe\ns\n")
    assert "Please select one of the available options" in proc.stdout
    proc = run_cli("baseline", "audit", str(out), "--all", input="q\n")
    assert "1 true positive, 1 false positive, 1 undecided" in proc.stdout
    proc = run_cli("baseline", "create", str(root), "-o", str(out))
    assert "(2 audit decisions kept)" in proc.stdout
    assert _decisions(out) == decided
    proc = run_cli("baseline", "audit", str(out), input="n\n")
    assert "1 true positive, 2 false positives, 0 undecided" in proc.stdout


def test_unsupported_version_and_garbage_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing\n")
    future = tmp_path / "future.json"
    future.write_text('{"version": 9, "entries": []}')
    proc = run_cli("scan", str(tmp_path), "--baseline", str(future))
    assert proc.returncode == 2 and "baseline version 9 is not supported" in proc.stderr
    bad = tmp_path / "bad.gitleaksignore"
    bad.write_text("not a fingerprint\n")
    proc = run_cli("scan", str(tmp_path), "--baseline", str(bad))
    assert proc.returncode == 2
    assert "bad.gitleaksignore:1: not a gitleaks fingerprint" in proc.stderr


@pytest.mark.usefixtures("detect_secrets_present")
def test_detect_secrets_baseline_false_positives_suppress(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pw = _tree(root)
    # the real detect-secrets writes the baseline; a person then audits alice's entry false
    proc = subprocess.run([str(DETECT_SECRETS), "scan", "--all-files"], cwd=root,
                          capture_output=True, text=True, check=True)
    doc = json.loads(proc.stdout)
    wanted = baseline.sha1_hex(pw["a"])
    hits = [e for e in doc["results"]["settings.env"] if e["hashed_secret"] == wanted]
    assert hits, doc["results"]
    for e in hits:
        e["is_secret"] = False
    for e in doc["results"]["deploy.sh"]:
        e["is_secret"] = True  # audited real: must still be reported
    (root / ".secrets.baseline").write_text(json.dumps(doc))
    proc = run_cli("scan", str(root), "--baseline", str(root / ".secrets.baseline"),
                   "--format", "jsonl")
    assert proc.returncode == 1
    assert sorted(_jsonl(proc.stdout)) == [
        ("deploy.sh", 1, "carol", redact(pw["c"])),
        ("settings.env", 2, "bob", redact(pw["b"])),
    ]


def test_gitleaksignore_fingerprints_suppress_by_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pw = _tree(root)
    ignore = root / ".gitleaksignore"
    ignore.write_text(
        "# triaged with gitleaks\n"
        "settings.env:generic-api-key:2\n"
        "0123456789abcdef0123456789abcdef01234567:deploy.sh:postgres-uri:1\n"
    )
    proc = run_cli("scan", str(root), "--baseline", str(ignore), "--format", "json")
    report = json.loads(proc.stdout)
    got = sorted((f["path"].rsplit("/", 1)[-1], f["line"], f["user"]) for f in report["findings"])
    assert got == [
        ("deploy.sh", 1, "carol"),  # a commit-scoped fingerprint: a folder scan has no commit
        ("settings.env", 1, "alice"),
    ]
    assert report["stats"]["suppressed"]["gitleaksignore"] == 1
    assert redact(pw["b"]) not in proc.stdout


def test_parse_gitleaksignore_forms() -> None:
    ig = baseline.parse_gitleaksignore(
        "abc1234def5678abc1234def5678abc1234def56:src/a:b.py:rule-x:12\n"
        "config/db.yml:pg:3\n\n# comment\n", "x")
    assert ig.fingerprints == {
        ("abc1234def5678abc1234def5678abc1234def56", "src/a:b.py", 12),
        (None, "config/db.yml", 3),
    }


def test_apply_counts_suppressed_and_regroups_credentials(tmp_path: Path) -> None:
    pw = make_password()
    result = scan_tree(tmp_path, {"a.env": f"X=postgres://u:{pw}@h.corp.net/d\n",
                                  "b.env": f"Y=postgres://u:{pw}@h.corp.net/d\n"})
    assert len(result.findings) == 2 and len(result.credentials) == 1
    only_a = baseline.create(
        [f for f in result.findings if (f.provenance.path or "").endswith("a.env")], tmp_path)
    kept = baseline.apply(result, [only_a], tmp_path)
    assert [Path(f.provenance.path or "").name for f in kept.findings] == ["b.env"]
    assert kept.credentials[0].findings == (kept.findings[0].id,)
    assert kept.stats.suppressed == {"baseline": 1} and kept.stats.findings == 1


def test_git_repository_with_its_own_baseline_reports_nothing(tmp_path: Path) -> None:
    gr = GitRepo(tmp_path / "repo")
    repo = gr.root
    pw = _tree(repo)
    gr.commit("leaks")
    gr.write("settings.env", "A=from-env\n")
    gr.commit("remove")
    out = tmp_path / "b.json"
    assert run_cli("baseline", "create", str(repo), "-o", str(out)).returncode == 0
    entries = json.loads(out.read_text())["entries"]
    assert sorted((e["path"], e["line"], e["user"]) for e in entries) == [
        ("deploy.sh", 1, "carol"), ("settings.env", 1, "alice"), ("settings.env", 2, "bob")]
    assert all(e["commit"] for e in entries)
    proc = run_cli("scan", str(repo), "--baseline", str(out), "--format", "jsonl")
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr
    for secret in pw.values():
        assert secret not in out.read_text()


def _ignore_files(root: Path, pw: dict[str, str]) -> None:
    """alice triaged with gitleaks, carol audited false with detect-secrets."""
    (root / ".gitleaksignore").write_text("settings.env:generic-api-key:1\n")
    entry = {"type": "Basic Auth Credentials", "filename": "deploy.sh", "line_number": 1,
             "hashed_secret": baseline.sha1_hex(pw["c"]), "is_secret": False}
    (root / ".secrets.baseline").write_text(json.dumps(
        {"version": "1.5.0", "plugins_used": [], "filters_used": [],
         "results": {"deploy.sh": [entry]}}))


@pytest.mark.parametrize("kind", ["folder", "git"])
def test_ignore_files_at_the_root_apply_without_flags(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "repo"
    if kind == "git":
        gr = GitRepo(root)
        pw = _tree(root)
        _ignore_files(root, pw)
        gr.commit("leaks and triage")
    else:
        pw = _tree(root)
        _ignore_files(root, pw)
    proc = run_cli("scan", str(root), "--no-store", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert sorted(_jsonl("\n".join(json.dumps(f) for f in report["findings"]))) == [
        ("settings.env", 2, "bob", redact(pw["b"]))]
    assert report["stats"]["suppressed"] == {
        **report["stats"]["suppressed"], "gitleaksignore": 1, "detect-secrets-baseline": 1}
    everything = run_cli("scan", str(root), "--no-store", "--format", "jsonl",
                         "--no-auto-baseline")
    assert sorted(_jsonl(everything.stdout)) == [
        ("deploy.sh", 1, "carol", redact(pw["c"])),
        ("settings.env", 1, "alice", redact(pw["a"])),
        ("settings.env", 2, "bob", redact(pw["b"])),
    ]


def test_an_unreadable_ignore_file_at_the_root_is_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pw = _tree(root)
    (root / ".gitleaksignore").write_text("not a fingerprint\n")
    proc = run_cli("scan", str(root), "--no-store", "--format", "jsonl")
    assert proc.returncode == 1
    assert proc.stderr == (
        f"pgsweep: warning: not using {root / '.gitleaksignore'}:1: not a gitleaks fingerprint "
        "([commit:]file:rule:line) (--no-auto-baseline skips it)\n")
    assert sorted(_jsonl(proc.stdout)) == [
        ("deploy.sh", 1, "carol", redact(pw["c"])),
        ("settings.env", 1, "alice", redact(pw["a"])),
        ("settings.env", 2, "bob", redact(pw["b"])),
    ]
