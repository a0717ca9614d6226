"""SARIF 2.1.0: valid against the official schema, one rule per signature, no secrets."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, make_password, run_cli, scan_tree

from pgsweep.core.models import Severity
from pgsweep.core.times import utc_now
from pgsweep.findings.pipeline import ScanResult
from pgsweep.jobs.report import build_report
from pgsweep.reporters.sarif import (
    CREDENTIAL_FINGERPRINT,
    LEVELS,
    OCCURRENCE_FINGERPRINT,
    SECURITY_SEVERITY,
    SarifReporter,
)

# The official schema, vendored unmodified with its OASIS notice (schemas/NOTICE.md).
SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def _render(result: ScanResult, reveal: bool = False) -> tuple[str, dict[str, Any]]:
    out = io.StringIO()
    SarifReporter().render(
        build_report(result, now=utc_now(), reveal=reveal),
        out,
    )
    return out.getvalue(), json.loads(out.getvalue())


@pytest.fixture
def relative_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> tuple[ScanResult, tuple[str, str]]:
    pw1, pw2 = make_password(), make_password()
    monkeypatch.chdir(tmp_path)
    result = scan_tree(Path("repo"), {
        "app/settings.env": f"DATABASE_URL=postgresql://app:{pw1}@db.corp.net:5432/prod\n",
        "dev/my notes.txt": f"\n\nlocal: postgres://dev:{pw2}@localhost/devdb\n",
    })
    return result, (pw1, pw2)


def test_validates_against_the_official_schema(
    relative_scan: tuple[ScanResult, tuple[str, str]]
) -> None:
    import jsonschema

    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    result, _ = relative_scan
    _, doc = _render(result)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(doc)
    empty = scan_tree(Path("clean"), {"x.txt": "nothing\n"})
    validator.validate(_render(empty)[1])


def test_rules_results_locations_and_fingerprints(
    relative_scan: tuple[ScanResult, tuple[str, str]]
) -> None:
    result, passwords = relative_scan
    text, doc = _render(result, reveal=True)
    for pw in passwords:
        assert pw not in text  # not even with --reveal
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [s.id for s in result.signatures]
    uri_rule = rules[[r["id"] for r in rules].index("pg.uri.1")]
    assert uri_rule["shortDescription"]["text"] == "PostgreSQL connection URI"
    assert uri_rule["helpUri"].startswith("https://www.postgresql.org/")
    assert uri_rule["properties"]["security-severity"] == "8.0"
    got = sorted(
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["level"],
            r["properties"]["security-severity"],
            r["properties"]["user"],
            r["properties"]["host"],
        )
        for r in run["results"]
    )
    assert got == [
        ("pg.uri.1", "repo/app/settings.env", "%SRCROOT%", 1, "error", "8.0", "app", "db.corp.net"),
        ("pg.uri.1", "repo/dev/my%20notes.txt", "%SRCROOT%", 3, "note", "2.0", "dev", "localhost"),
    ]
    by_cred = {f.credential: f for f in result.findings}
    for r in run["results"]:
        cred = r["partialFingerprints"]["pgsweepCredential/v1"]
        assert cred in by_cred and cred in r["message"]["text"]
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_severity_mapping() -> None:
    assert {str(s): (LEVELS[s], SECURITY_SEVERITY[s]) for s in Severity if s > Severity.INFO} == {
        "critical": ("error", "9.5"),
        "high": ("error", "8.0"),
        "medium": ("warning", "5.0"),
        "low": ("note", "2.0"),
    }


def test_absolute_paths_become_file_uris(leaky_scan: tuple[ScanResult, tuple[str, str]]) -> None:
    result, _ = leaky_scan
    _, doc = _render(result)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in doc["runs"][0]["results"]}
    assert all(u.startswith("file:///") for u in uris)
    assert any(u.endswith("/app/settings.env") for u in uris)


def test_cli_writes_sarif_to_a_file(tmp_path: Path) -> None:
    pw = make_password()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text(f'URL = "postgresql://svc:{pw}@pg.corp.net/svc"\n')
    out = tmp_path / "out.sarif"
    proc = run_cli("scan", "app", "--format", "sarif", "--output", str(out), cwd=tmp_path,
                   env={"PYTHONPATH": str(REPO_ROOT / "src")})
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")
    doc = json.loads(out.read_text())
    [result] = doc["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == (
        "app/db.py", 1)
    assert pw not in out.read_text()


def test_fingerprints_do_not_follow_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code scanning matches alerts across commits by partialFingerprints: a leak that moves
    down the file (lines added above it) is the same alert; another file is another one."""
    pw = make_password()
    monkeypatch.chdir(tmp_path)
    leak = f"DATABASE_URL=postgresql://app:{pw}@db.corp.net:5432/prod\n"

    def prints(files: dict[str, str]) -> list[tuple[str, int, dict[str, str]]]:
        root = Path("repo")
        if root.exists():
            shutil.rmtree(root)
        _, doc = _render(scan_tree(root, files))
        return sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                       r["locations"][0]["physicalLocation"]["region"]["startLine"],
                       r["partialFingerprints"]) for r in doc["runs"][0]["results"])

    [(path, line, before)] = prints({"app/settings.env": leak})
    [(_, moved_line, after)] = prints({"app/settings.env": "# db\n\n# prod\n" + leak})
    assert (path, line, moved_line) == ("repo/app/settings.env", 1, 4)
    assert after == before
    [(_, _, elsewhere)] = prints({"app/other.env": leak})
    assert elsewhere[CREDENTIAL_FINGERPRINT] == before[CREDENTIAL_FINGERPRINT]
    assert elsewhere[OCCURRENCE_FINGERPRINT] != before[OCCURRENCE_FINGERPRINT]
