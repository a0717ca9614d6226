"""CSV: one row per occurrence, redacted unless revealed, formula cells neutralised."""

from __future__ import annotations

import csv
import io

from pgsweep.core.times import utc_now
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import ScanResult
from pgsweep.jobs.report import build_report
from pgsweep.reporters.csv import COLUMNS, CsvReporter


def _rows(result: ScanResult, reveal: bool = False) -> list[dict[str, str]]:
    out = io.StringIO()
    CsvReporter().render(
        build_report(result, now=utc_now(), reveal=reveal), out
    )
    reader = csv.DictReader(io.StringIO(out.getvalue()))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_one_row_per_occurrence(leaky_scan: tuple[ScanResult, tuple[str, str]]) -> None:
    result, (pw1, pw2) = leaky_scan
    rows = _rows(result)
    got = sorted(
        (r["path"].rsplit("/", 2)[-2] + "/" + r["path"].rsplit("/", 1)[-1], r["line"], r["user"],
         r["host"], r["secret"], r["severity"])
        for r in rows
    )
    assert got == [
        ("app/settings.env", "2", "app", "db.corp.net", redact(pw1), "high"),
        # the credential's risk severity: an internal address in a plain file
        ("deploy/run.sh", "2", "report", "10.20.30.40", redact(pw2), "medium"),
        ("deploy/run.sh", "3", "app", "db.corp.net", redact(pw1), "high"),
    ]
    assert rows[0]["rule"] == "pg.uri.1" and rows[0]["credential"].startswith("c")


def test_reveal_writes_plaintext(leaky_scan: tuple[ScanResult, tuple[str, str]]) -> None:
    result, (pw1, pw2) = leaky_scan
    assert sorted(r["secret"] for r in _rows(result, reveal=True)) == sorted([pw1, pw1, pw2])


def test_formula_cells_are_quoted() -> None:
    from pgsweep.reporters.csv import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("app/settings.env") == "app/settings.env"
    assert _cell(None) == "" and _cell(True) == "true" and _cell(3) == "3"
