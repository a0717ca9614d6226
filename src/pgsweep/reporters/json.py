"""The versioned JSON document (docs/json-schema.md)."""

from __future__ import annotations

import dataclasses
import json
from typing import TextIO

from pgsweep.core.display import utf8_data
from pgsweep.reporters.interface import JSON_SCHEMA_VERSION, Report
from pgsweep.reporters.records import credential_record, place_record


class JsonReporter:
    def render(self, report: Report, out: TextIO) -> None:
        # each credential's places, gathered in one pass (not one pass per credential)
        ids_of: dict[str, list[str]] = {}
        for pl in report.places:
            ids_of.setdefault(pl.credential, []).append(pl.id)
        doc = {
            "version": JSON_SCHEMA_VERSION,
            "tool": {"name": report.tool_name, "version": report.tool_version},
            # false: part of the input could not be read (stats.incomplete says what)
            "complete": not report.stats.incomplete,
            "stats": dataclasses.asdict(report.stats),
            "scanned": list(report.plan.scanned),
            "findings": [
                place_record(pl, report.reveal, report.severity_of(pl.credential),
                             report.versions)
                for pl in report.places
            ],
            "credentials": [credential_record(p, ids_of.get(p.credential.id, []))
                            for p in report.plan.credentials],
        }
        if report.users:
            doc["users"] = [dataclasses.asdict(u) for u in report.users]
        json.dump(utf8_data(doc), out, indent=2, ensure_ascii=False)
        out.write("\n")
