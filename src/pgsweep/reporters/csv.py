"""CSV with one row per finding (a credential at a place), for spreadsheets and tickets."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from pgsweep.core.display import printable
from pgsweep.reporters.interface import Report
from pgsweep.reporters.records import place_record

COLUMNS = (
    "id", "rule", "severity", "kind", "source", "repository", "path", "line", "commit",
    "author", "date",
    "user", "host", "port", "database", "secret", "fingerprint", "credential", "present_at_head",
    "last_commit", "versions",
)
# A cell starting with one of these (after spaces) runs as a formula in spreadsheet
# programs; paths and user names come from the scanned (untrusted) input, so such cells get
# a leading quote. Control characters and undecodable bytes are escaped first (`\x1b`).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = printable(str(value))
    return "'" + text if text.lstrip(" ").startswith(_FORMULA_START) else text


class CsvReporter:
    def render(self, report: Report, out: TextIO) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for pl in report.places:
            record = place_record(pl, report.reveal, report.severity_of(pl.credential))
            writer.writerow([_cell(record[c]) for c in COLUMNS])
