"""Inline ignore markers of pgsweep, detect-secrets and gitleaks suppress their own line only."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_password, scan_tree

from pgsweep.findings.fingerprint import redact


@pytest.mark.parametrize(
    "marker", ["# pgsweep:ignore", "# pragma: allowlist secret", "// gitleaks:allow"]
)
def test_marker_suppresses_only_its_line(tmp_path: Path, marker: str) -> None:
    ignored, kept = make_password(), make_password()
    result = scan_tree(tmp_path, {"conf.env": (
        f"A=postgres://app:{ignored}@db.corp.net/prod  {marker}\n"
        f"B=postgres://app:{kept}@db.corp.net/prod\n"
        f"{marker}\n"
    )})
    assert [(f.line, f.user, f.host, redact(f.secret)) for f in result.findings] == [
        (2, "app", "db.corp.net", redact(kept))
    ]
    assert result.stats.suppressed == {"inline-ignore": 1}


def test_marker_on_another_line_does_not_apply(tmp_path: Path) -> None:
    pw = make_password()
    result = scan_tree(tmp_path, {"notes.md": f"# pgsweep:ignore\npostgres://app:{pw}@db.corp.net/x\n"})
    assert [(f.line, f.user) for f in result.findings] == [(2, "app")]


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (".pgpass", "db.corp.net:5432:prod:app:{pw}  # pgsweep:ignore"),
        ("pg_service.conf", "[prod]\nhost=db.corp.net\nuser=app\npassword={pw}  # pgsweep:ignore"),
        ("app.env", "PGHOST=db.corp.net\nPGUSER=app\nPGPASSWORD={pw} # pgsweep:ignore"),
    ],
)
def test_marker_survives_a_reader_that_rewrites_the_line(
    tmp_path: Path, name: str, line: str
) -> None:
    pw = make_password()
    result = scan_tree(tmp_path, {name: line.format(pw=pw) + "\n"})
    assert list(result.findings) == []
    assert result.stats.suppressed.get("inline-ignore", 0) >= 1
