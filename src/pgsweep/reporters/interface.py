"""The reporter interface, the report model every reporter renders, and the format enum."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol, TextIO

from pgsweep import __version__
from pgsweep.assess.plan import CredentialPlan, Plan
from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import (
    Credential,
    Finding,
    RepositorySummary,
    ScanStats,
    Severity,
    UserSummary,
)
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.places import Place

JSON_SCHEMA_VERSION = 2


class ReporterError(PgsweepError):
    """Output could not be written."""


class Verbosity(enum.Enum):
    """How much the terminal report shows: the summary only, one place per credential,
    or every place."""

    QUIET = "quiet"
    NORMAL = "normal"
    VERBOSE = "verbose"


class Format(enum.StrEnum):
    """Every value of `--format`; a test proves each has a reporter."""

    TERMINAL = "terminal"
    JSON = "json"
    MARKDOWN = "markdown"  # the rotation plan of a fresh scan
    HTML = "html"  # the rotation plan of a fresh scan, one self-contained file
    SARIF = "sarif"
    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True)
class Report:
    """What a reporter renders: the findings, the plan built from them (every credential's
    severity, triage and steps), stats, and whether to reveal secrets. Reporters only read
    it; the plan is built once, by `pgsweep.jobs.report`."""

    findings: tuple[Finding, ...]
    plan: Plan
    stats: ScanStats
    signatures: tuple[Signature, ...] = ()
    reveal: bool = False
    tool_name: str = "pgsweep"
    tool_version: str = __version__
    users: tuple[UserSummary, ...] = ()  # per-user summary of a sweep (empty for scan)
    repositories: tuple[RepositorySummary, ...] = ()  # per-repository summary of an audit
    # What the outputs call findings: each credential at each place (every version of one
    # file is one place), in the plan's order.
    places: tuple[Place, ...] = ()
    versions: bool = False  # machine formats also list every version of each place
    show_info: bool = False  # the terminal lists `info` credentials instead of counting them
    verbosity: Verbosity = Verbosity.NORMAL  # the terminal report's detail
    color: bool | None = None  # the terminal report's colours: None follows the terminal
    stored: bool = False  # recorded into a findings store (`report`, `explain` can read it)

    @property
    def credentials(self) -> tuple[Credential, ...]:
        """The plan's credentials, highest risk first; `severity` is the risk severity."""
        return tuple(p.credential for p in self.plan.credentials)

    @cached_property
    def _plans(self) -> dict[str, CredentialPlan]:
        return {p.credential.id: p for p in self.plan.credentials}

    def severity_of(self, credential: str) -> Severity | None:
        """A credential's risk severity (what every output shows for its findings)."""
        p = self._plans.get(credential)
        return p.risk.severity if p is not None else None


class Reporter(Protocol):
    def render(self, report: Report, out: TextIO) -> None: ...


class PlanTextReporter:
    """A plan as text in one format (`render_text`): `report --format X` renders a stored
    plan, and `scan --format X` the scan's own (with the store's triage and verifications)."""

    @staticmethod
    def render_text(plan: Plan) -> str:
        raise NotImplementedError

    def render_plan(self, plan: Plan, out: TextIO) -> None:
        out.write(self.render_text(plan))

    def render(self, report: Report, out: TextIO) -> None:
        self.render_plan(report.plan, out)


# What an output file's name says it holds, for a command given `-o FILE` without --format.
_FORMAT_OF_SUFFIX = {
    ".json": "json", ".jsonl": "jsonl", ".csv": "csv", ".sarif": "sarif",
    ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
}


def format_named_by(output: Path | None) -> str | None:
    """The format an output file's extension names (`pgsweep.sarif`: sarif), if any."""
    return _FORMAT_OF_SUFFIX.get(output.suffix.lower()) if output is not None else None


class PlanFormat(enum.StrEnum):
    """Every value of `pgsweep report --format`; a test proves each has a plan reporter."""

    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"


class PlanReporter(Protocol):
    def render_plan(self, plan: Plan, out: TextIO) -> None: ...
