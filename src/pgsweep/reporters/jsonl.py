"""JSON Lines: one finding per line, for log pipelines (same fields as the JSON findings)."""

from __future__ import annotations

import json
from typing import TextIO

from pgsweep.reporters.interface import JSON_SCHEMA_VERSION, Report
from pgsweep.reporters.records import finding_record


class JsonLinesReporter:
    def render(self, report: Report, out: TextIO) -> None:
        for f in report.findings:
            severity = report.severity_of(f.credential)
            record = {"version": JSON_SCHEMA_VERSION,
                      **finding_record(f, report.reveal, severity)}
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
