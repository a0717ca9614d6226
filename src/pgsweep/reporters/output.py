"""Write a report to a file or stdout with the reporter for its format."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pgsweep.reporters.interface import Format, PlanFormat, Report, ReporterError
from pgsweep.reporters.registry import plan_reporter_for, reporter_for
from pgsweep.rotation import Plan


def _write(render: Callable[[TextIO], None], output: Path | None) -> None:
    if output is None:
        render(sys.stdout)
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            render(fh)
    except OSError as exc:
        raise ReporterError(f"{output}: cannot write: {exc.strerror or exc}") from None


def write_report(report: Report, fmt: Format, output: Path | None) -> None:
    reporter = reporter_for(fmt)
    _write(lambda out: reporter.render(report, out), output)


def write_plan(plan: Plan, fmt: PlanFormat, output: Path | None) -> None:
    reporter = plan_reporter_for(fmt)
    _write(lambda out: reporter.render_plan(plan, out), output)
