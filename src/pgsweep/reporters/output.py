"""Write a report to a file or stdout with the reporter for its format."""

from __future__ import annotations

import sys
from pathlib import Path

from pgsweep.reporters.interface import Format, Report, ReporterError
from pgsweep.reporters.registry import reporter_for


def write_report(report: Report, fmt: Format, output: Path | None) -> None:
    reporter = reporter_for(fmt)
    if output is None:
        reporter.render(report, sys.stdout)
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            reporter.render(report, fh)
    except OSError as exc:
        raise ReporterError(f"{output}: cannot write: {exc.strerror or exc}") from None
