"""`pgsweep demo`: every planted leak is found where it was planted; placeholders are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from provenances import git_of

from pgsweep.core.models import GitProvenance, Severity
from pgsweep.core.options import ScanOptions
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.pipeline import Scanner
from pgsweep.jobs.demo import DemoError, build_demo
from pgsweep.sources.git import GitSource


def test_demo_leaks_are_found_where_planted(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    root = tmp_path / "demo"
    planted = build_demo(root)
    result = Scanner(all_signatures).run(GitSource(root, ScanOptions(path=str(root))))
    found = {(f.provenance.path, f.line, f.secret, f.user) for f in result.findings
             if isinstance(f.provenance, GitProvenance) and f.severity > Severity.INFO}
    families = {s.id.split(".")[1] for s in all_signatures}
    expected = {(p.path, p.line, p.secret, p.user) for p in planted if p.form in families}
    # URI leaks on main, deleted later, on a feature branch and behind a tag, at least;
    # the other forms count once their signatures are loaded.
    assert {p.form for p in planted} >= {"uri", "env", "dsn", "pgpass", "sql"}
    assert sum(p.form == "uri" for p in planted) == 4
    assert found == expected
    # the placeholders of the README and .env.example are reported at info, never above
    assert {f.provenance.path for f in result.findings if f.severity is Severity.INFO} == {
        "README.md", ".env.example"}
    assert result.stats.suppressed.get("template", 0) >= 1
    tip = {f.secret: git_of(f).present_at_head for f in result.findings}
    for p in planted:
        if p.secret in tip:
            assert tip[p.secret] == p.at_head, p.note


def test_demo_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep me")
    with pytest.raises(DemoError, match="exists and is not empty"):
        build_demo(tmp_path)


def test_demo_command_then_scan(tmp_path: Path) -> None:
    built = run_cli("demo", str(tmp_path / "d"))
    assert built.returncode == 0, built.stderr
    assert "planted leaks" in built.stdout
    scanned = run_cli("scan", str(tmp_path / "d"), "--no-progress")
    assert scanned.returncode == 1, scanned.stderr
    assert "credentials in" in scanned.stdout
