"""Build the one report of a scan: its plan (risk, triage, verifications) made once, for
every reporter to render."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pgsweep.models import UserSummary
from pgsweep.pipeline import ScanResult
from pgsweep.reporters.interface import Report
from pgsweep.risk import TriageLike, VerificationLike
from pgsweep.rotation import build_plan


def build_report(
    result: ScanResult,
    *,
    now: datetime,
    scanned: Sequence[str] = (),
    triage: Mapping[str, TriageLike] | None = None,
    verifications: Mapping[str, Sequence[VerificationLike]] | None = None,
    reveal: bool = False,
    users: tuple[UserSummary, ...] = (),
) -> Report:
    """The report of `result`: findings, stats and the plan every output renders."""
    plan = build_plan(result.findings, result.credentials, triage or {}, verifications or {},
                      now, scanned=scanned)
    return Report(
        findings=result.findings,
        plan=plan,
        stats=result.stats,
        signatures=result.signatures,
        reveal=reveal,
        users=users,
    )
