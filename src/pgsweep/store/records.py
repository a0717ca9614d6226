"""What the store hands back besides findings and credentials: triage, targets, verifications."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TriageState:
    """A person's decision about a credential; `open` until someone triages it."""

    status: str
    note: str | None
    updated_at: str


@dataclass(frozen=True)
class TargetInfo:
    """Something scans were run on: a repository, a folder or swept root, a file, stdin."""

    id: int
    path: str  # absolute ("-" for standard input)
    kind: str  # git, folder, file, stdin ("path" for targets recorded before kinds)
    scans: int = 0
    credentials: int = 0
    occurrences: int = 0
    last_scan: str | None = None


@dataclass(frozen=True)
class ForgetResult:
    """What forgetting a target removed: what only that target had seen."""

    target: TargetInfo
    credentials: int
    occurrences: int


@dataclass(frozen=True)
class VerificationRecord:
    """One verification of a credential (offline against verifiers, or live)."""

    credential_id: str
    method: str
    status: str
    detail: Mapping[str, Any]
    checked_at: str
