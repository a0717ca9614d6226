"""Map each output format to its reporter."""

from __future__ import annotations

from pgsweep.reporters.console import ConsoleReporter
from pgsweep.reporters.interface import Format, Reporter
from pgsweep.reporters.json import JsonReporter

REPORTERS: dict[Format, type[Reporter]] = {
    Format.TERMINAL: ConsoleReporter,
    Format.JSON: JsonReporter,
}


def reporter_for(fmt: Format) -> Reporter:
    return REPORTERS[fmt]()
