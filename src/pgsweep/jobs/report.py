"""Build the one report of a scan: its plan (risk, triage, verifications) made once, for
every reporter to render."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from pgsweep.assess.risk_factors import TriageLike, VerificationLike
from pgsweep.assess.rotation import build_plan
from pgsweep.core.models import RepositorySummary, UserSummary
from pgsweep.findings.credentials import provenance_time
from pgsweep.findings.pipeline import ScanResult
from pgsweep.findings.places import group_places
from pgsweep.reporters.interface import Report, Verbosity


def build_report(
    result: ScanResult,
    *,
    now: datetime,
    scanned: Sequence[str] = (),
    triage: Mapping[str, TriageLike] | None = None,
    verifications: Mapping[str, Sequence[VerificationLike]] | None = None,
    reveal: bool = False,
    users: tuple[UserSummary, ...] = (),
    repositories: tuple[RepositorySummary, ...] = (),
    versions: bool = False,
    show_info: bool = False,
    verbosity: Verbosity = Verbosity.NORMAL,
    color: bool | None = None,
    stored: bool = False,
) -> Report:
    """The report of `result`: findings, stats and the plan every output renders."""
    grouped = group_places(result.findings)
    plan = build_plan(result.findings, result.credentials, triage or {}, verifications or {},
                      now, scanned=scanned, places=grouped)
    # a scan that could not read everything says so in every output of its plan
    plan = dataclasses.replace(plan, incomplete=tuple(result.stats.incomplete))
    rank = {p.credential.id: i for i, p in enumerate(plan.credentials)}
    places = sorted(grouped,
                    key=lambda pl: (rank.get(pl.credential, len(rank)),
                                    provenance_time(pl.introduced.provenance) or "",
                                    pl.path or "", pl.line))
    return Report(
        findings=result.findings,
        plan=plan,
        places=tuple(places),
        stats=result.stats,
        signatures=result.signatures,
        reveal=reveal,
        users=users,
        repositories=repositories,
        versions=versions,
        show_info=show_info,
        verbosity=verbosity,
        color=color,
        stored=stored,
    )
