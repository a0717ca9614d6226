"""Map each output format to its reporter."""

from __future__ import annotations

from pgsweep.reporters.console import ConsoleReporter
from pgsweep.reporters.csv import CsvReporter
from pgsweep.reporters.html import HtmlReporter
from pgsweep.reporters.interface import Format, PlanFormat, PlanReporter, Reporter
from pgsweep.reporters.json import JsonReporter
from pgsweep.reporters.jsonl import JsonLinesReporter
from pgsweep.reporters.markdown import MarkdownReporter
from pgsweep.reporters.plan_json import PlanJsonReporter
from pgsweep.reporters.sarif import SarifReporter

REPORTERS: dict[Format, type[Reporter]] = {
    Format.TERMINAL: ConsoleReporter,
    Format.JSON: JsonReporter,
    Format.MARKDOWN: MarkdownReporter,
    Format.HTML: HtmlReporter,
    Format.SARIF: SarifReporter,
    Format.CSV: CsvReporter,
    Format.JSONL: JsonLinesReporter,
}

PLAN_REPORTERS: dict[PlanFormat, type[PlanReporter]] = {
    PlanFormat.MARKDOWN: MarkdownReporter,
    PlanFormat.JSON: PlanJsonReporter,
    PlanFormat.HTML: HtmlReporter,
}


def reporter_for(fmt: Format) -> Reporter:
    return REPORTERS[fmt]()


def plan_reporter_for(fmt: PlanFormat) -> PlanReporter:
    return PLAN_REPORTERS[fmt]()
