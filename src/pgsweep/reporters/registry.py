"""Map each output format to its reporter."""

from __future__ import annotations

from pgsweep.reporters.console import ConsoleReporter
from pgsweep.reporters.csv import CsvReporter
from pgsweep.reporters.interface import Format, Reporter
from pgsweep.reporters.json import JsonReporter
from pgsweep.reporters.jsonl import JsonLinesReporter
from pgsweep.reporters.sarif import SarifReporter

REPORTERS: dict[Format, type[Reporter]] = {
    Format.TERMINAL: ConsoleReporter,
    Format.JSON: JsonReporter,
    Format.SARIF: SarifReporter,
    Format.CSV: CsvReporter,
    Format.JSONL: JsonLinesReporter,
}


def reporter_for(fmt: Format) -> Reporter:
    return REPORTERS[fmt]()
