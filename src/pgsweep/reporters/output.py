"""Write a report to a file or stdout with the reporter for its format."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pgsweep.assess.plan import Plan
from pgsweep.reporters.interface import Format, PlanFormat, Report, ReporterError
from pgsweep.reporters.outfiles import open_output
from pgsweep.reporters.registry import plan_reporter_for, reporter_for


def _write(
    render: Callable[[TextIO], None], output: Path | None, *, private: bool = False
) -> None:
    if output is None:
        render(sys.stdout)
        return
    try:
        with open_output(output, private=private) as fh:
            render(fh)
    except OSError as exc:
        raise ReporterError(f"{output}: cannot write: {exc.strerror or exc}") from None


def write_report(report: Report, fmt: Format, output: Path | None) -> None:
    """Render `report` to `output` (stdout when None); a file that shows plaintext
    secrets (`--reveal`) is created 0600."""
    reporter = reporter_for(fmt)
    _write(lambda out: reporter.render(report, out), output, private=report.reveal)


def write_plan(plan: Plan, fmt: PlanFormat, output: Path | None) -> None:
    reporter = plan_reporter_for(fmt)
    _write(lambda out: reporter.render_plan(plan, out), output)
