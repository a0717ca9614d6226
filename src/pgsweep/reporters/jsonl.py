"""JSON Lines: one finding (a credential at a place) per line, as in the JSON document."""

from __future__ import annotations

import json
from typing import TextIO

from pgsweep.core.display import utf8_data
from pgsweep.reporters.interface import JSON_SCHEMA_VERSION, Report
from pgsweep.reporters.records import place_record


class JsonLinesReporter:
    def render(self, report: Report, out: TextIO) -> None:
        for pl in report.places:
            severity = report.severity_of(pl.credential)
            record = {"version": JSON_SCHEMA_VERSION,
                      **place_record(pl, report.reveal, severity, report.versions)}
            out.write(json.dumps(utf8_data(record), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
