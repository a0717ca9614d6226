"""The reporter interface, the report model every reporter renders, and the format enum."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from pgsweep import __version__
from pgsweep.errors import PgsweepError
from pgsweep.models import Credential, Finding, ScanStats, UserSummary
from pgsweep.signatures import Signature

if TYPE_CHECKING:
    from pgsweep.rotation import Plan

JSON_SCHEMA_VERSION = 1


class ReporterError(PgsweepError):
    """Output could not be written."""


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
    """What a reporter renders: findings, credentials, stats, and whether to reveal secrets."""

    findings: tuple[Finding, ...]
    credentials: tuple[Credential, ...]
    stats: ScanStats
    signatures: tuple[Signature, ...] = ()
    reveal: bool = False
    tool_name: str = "pgsweep"
    tool_version: str = __version__
    users: tuple[UserSummary, ...] = ()  # per-user summary of a sweep (empty for scan)


class Reporter(Protocol):
    def render(self, report: Report, out: TextIO) -> None: ...


class PlanFormat(enum.StrEnum):
    """Every value of `pgsweep report --format`; a test proves each has a plan reporter."""

    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"


class PlanReporter(Protocol):
    def render_plan(self, plan: Plan, out: TextIO) -> None: ...
