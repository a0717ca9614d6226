"""The reporter interface, the report model every reporter renders, and the format enum."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, TextIO

from pgsweep import __version__
from pgsweep.errors import PgsweepError
from pgsweep.models import Credential, Finding, ScanStats
from pgsweep.signatures import Signature

JSON_SCHEMA_VERSION = 1


class ReporterError(PgsweepError):
    """Output could not be written."""


class Format(str, enum.Enum):
    """Every value of `--format`; a test proves each has a reporter."""

    TERMINAL = "terminal"
    JSON = "json"
    SARIF = "sarif"
    CSV = "csv"
    JSONL = "jsonl"

    def __str__(self) -> str:
        return self.value


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


class Reporter(Protocol):
    def render(self, report: Report, out: TextIO) -> None: ...
