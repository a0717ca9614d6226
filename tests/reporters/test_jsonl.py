"""JSON Lines: one finding per line with the JSON findings' fields."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pgsweep.core.times import utc_now
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import ScanResult
from pgsweep.jobs.report import build_report
from pgsweep.reporters.jsonl import JsonLinesReporter


def test_one_finding_per_line(leaky_scan: tuple[ScanResult, tuple[str, str]]) -> None:
    result, (pw1, pw2) = leaky_scan
    out = io.StringIO()
    JsonLinesReporter().render(build_report(result, now=utc_now()), out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    got = sorted((r["path"].rsplit("/", 1)[-1], r["line"], r["user"], r["host"], r["secret"])
                 for r in records)
    assert got == [
        ("run.sh", 2, "report", "10.20.30.40", redact(pw2)),
        ("run.sh", 3, "app", "db.corp.net", redact(pw1)),
        ("settings.env", 2, "app", "db.corp.net", redact(pw1)),
    ]
    assert all(r["version"] == 2 and r["rule"] == "pg.uri.1" for r in records)
    assert {r["id"] for r in records} == {f.id for f in result.findings}
    assert all(r["versions"] == 1 for r in records)


def test_no_findings_no_lines(tmp_path: Path) -> None:
    from conftest import scan_tree

    result = scan_tree(tmp_path, {"clean.txt": "nothing to see\n"})
    out = io.StringIO()
    JsonLinesReporter().render(build_report(result, now=utc_now()), out)
    assert out.getvalue() == ""
