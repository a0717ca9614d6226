"""The detect-secrets plugin, run by the real detect-secrets CLI and its pre-commit hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, make_password

from pgsweep.findings.baseline import sha1_hex

PLUGIN = REPO_ROOT / "src" / "pgsweep" / "integrations" / "detect_secrets_plugin.py"
BIN = Path(sys.executable).parent
SECRET_TYPE = "PostgreSQL credential (pgsweep)"

def _run(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _ours(doc: dict[str, Any]) -> list[tuple[str, int, str]]:
    return sorted(
        (r["filename"], r["line_number"], r["hashed_secret"])
        for results in doc["results"].values()
        for r in results
        if r["type"] == SECRET_TYPE
    )


def test_detect_secrets_scan_with_the_plugin(tmp_path: Path) -> None:
    uri_pw, pgpass_pw, jdbc_pw = make_password(), make_password(), make_password()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.env").write_text(
        "# app\n"
        f"DATABASE_URL=postgresql://app:{uri_pw}@db.corp.net:5432/prod\n"
        "DOCS=postgres://user:password@localhost:5432/mydb\n"  # placeholder: pgsweep drops it
        f"OLD=postgres://app:{make_password()}@db.corp.net/prod  # pragma: allowlist secret\n"
    )
    (tmp_path / "notes.txt").write_text(
        f"postgresql://report:{jdbc_pw}@10.1.2.3/reports\n"
        f"db.corp.net:5432:prod:app:{pgpass_pw}\n"  # a .pgpass line outside a .pgpass file
    )
    proc = _run("detect-secrets", "scan", "--all-files", "--plugin", str(PLUGIN), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {"name": "PgsweepDetector", "path": PLUGIN.as_uri()} in doc["plugins_used"]
    assert _ours(doc) == sorted([
        ("config/app.env", 2, sha1_hex(uri_pw)),
        ("notes.txt", 1, sha1_hex(jdbc_pw)),
        ("notes.txt", 2, sha1_hex(pgpass_pw)),
    ])
    for pw in (uri_pw, pgpass_pw, jdbc_pw):
        assert pw not in proc.stdout + proc.stderr


def test_detect_secrets_hook_with_the_documented_repository_setup(tmp_path: Path) -> None:
    # docs/ci.md: a one-line module in the repository, referenced by a relative path
    known, new = make_password(), make_password()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # the hook runs git diff
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "pgsweep_detect_secrets.py").write_text(
        "from pgsweep.integrations.detect_secrets_plugin import PgsweepDetector  # noqa: F401\n"
    )
    (tmp_path / "a.env").write_text(f"A=postgres://app:{known}@db.corp.net/prod\n")
    proc = _run("detect-secrets", "scan", "--all-files", "--plugin",
                "tools/pgsweep_detect_secrets.py", cwd=tmp_path)
    absolute = (tmp_path / "tools").as_uri() + "/"
    assert absolute in proc.stdout
    (tmp_path / ".secrets.baseline").write_text(proc.stdout.replace(absolute, "file://tools/"))
    # the hook loads the plugin from the baseline and passes while nothing new appears
    hook = _run("detect-secrets-hook", "--baseline", ".secrets.baseline", "a.env", cwd=tmp_path)
    assert hook.returncode == 0, hook.stdout + hook.stderr
    (tmp_path / "b.env").write_text(f"B=postgresql://svc:{new}@pg.corp.net/svc\n")
    hook = _run("detect-secrets-hook", "--baseline", ".secrets.baseline", "a.env", "b.env",
                cwd=tmp_path)
    assert hook.returncode == 1
    assert f"Secret Type: {SECRET_TYPE}\nLocation:    b.env:1" in hook.stdout
    assert new not in hook.stdout + hook.stderr


def test_plugin_class_in_process() -> None:
    from pgsweep.integrations.detect_secrets_plugin import PgsweepDetector

    pw = make_password()
    plugin = PgsweepDetector()
    assert list(plugin.analyze_string(f"x postgres://a:{pw}@h.corp.net/d")) == [pw]
    found = plugin.analyze_line("x.env", f"postgres://a:{pw}@h.corp.net/d", line_number=7)
    assert [(s.filename, s.line_number, s.secret_hash) for s in found] == [
        ("x.env", 7, sha1_hex(pw))
    ]
    assert plugin.analyze_line("x.env", "postgres://a:${PW}@h.corp.net/d") == set()


def _audit(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "pgsweep.integrations.detect_secrets_audit", "audit", *args],
        cwd=cwd, env=env, capture_output=True, text=True, input=stdin, timeout=300,
    )


@pytest.fixture
def audited_baseline(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A detect-secrets baseline made with the plugin alone, over two leaks."""
    pw = {"a.env": make_password(), "b.env": make_password()}
    for name, secret in pw.items():
        (tmp_path / name).write_text(f"DB=postgresql://app:{secret}@db.corp.net/prod\n")
    # the built-in plugins that also see these lines, so the audit asks about ours only
    builtin = ("BasicAuthDetector", "KeywordDetector", "Base64HighEntropyString",
               "HexHighEntropyString")
    disabled = [a for p in builtin for a in ("--disable-plugin", p)]
    proc = _run("detect-secrets", "scan", "--all-files", "--plugin", str(PLUGIN), *disabled,
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {r["type"] for rs in doc["results"].values() for r in rs} == {SECRET_TYPE}
    (tmp_path / ".secrets.baseline").write_text(proc.stdout)
    return tmp_path, pw


def test_detect_secrets_audit_interactive_report_and_stats(
    audited_baseline: tuple[Path, dict[str, str]]
) -> None:
    root, pw = audited_baseline
    # "Should this string be committed?" no for a.env (a real secret), yes for b.env
    labelled = _audit(".secrets.baseline", cwd=root, stdin="n\ny\n")
    assert labelled.returncode == 0, labelled.stdout + labelled.stderr
    assert f"Secret Type: {SECRET_TYPE}" in labelled.stdout
    assert "Secret not found" not in labelled.stdout
    doc = json.loads((root / ".secrets.baseline").read_text())
    assert sorted((r["filename"], r["line_number"], r["is_secret"])
                  for rs in doc["results"].values() for r in rs) == [
        ("a.env", 1, True), ("b.env", 1, False)]

    report = _audit("--report", ".secrets.baseline", cwd=root)
    assert report.returncode == 0, report.stderr
    rows = sorted((r["filename"], r["lines"], r["types"], r["secrets"])
                  for r in json.loads(report.stdout)["results"])
    assert rows == [
        ("a.env", {"1": f"DB=postgresql://app:{pw['a.env']}@db.corp.net/prod"}, [SECRET_TYPE],
         pw["a.env"]),
        ("b.env", {"1": f"DB=postgresql://app:{pw['b.env']}@db.corp.net/prod"}, [SECRET_TYPE],
         pw["b.env"]),
    ]

    stats = _audit("--stats", "--json", ".secrets.baseline", cwd=root)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["PgsweepDetector"]["stats"]["raw"] == {
        "true-positives": 1, "false-positives": 1, "unknown": 0}


def test_detect_secrets_audit_edges(audited_baseline: tuple[Path, dict[str, str]]) -> None:
    root, _ = audited_baseline
    short = _audit(".secrets.baseline", cwd=root, stdin="n\n")
    assert short.returncode == 1
    assert short.stderr == ("\npgsweep: the answers on stdin ran out before the last entry; "
                            "nothing was saved (end the answers with q to save them)\n")
    missing = _audit("--stats", "nope.baseline", cwd=root)
    assert (missing.returncode, missing.stderr) == (
        2, "pgsweep: error: nope.baseline: cannot read it as a detect-secrets baseline "
           "(missing, unreadable or not JSON)\n")
