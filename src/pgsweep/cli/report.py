"""`pgsweep report` and `pgsweep explain ID`: rotation plans from the findings store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pgsweep.cli import app, fail
from pgsweep.models import Credential, Finding
from pgsweep.reporters.interface import PlanFormat
from pgsweep.risk import explain as explain_risk
from pgsweep.risk import parse_time, utc_now
from pgsweep.rotation import Plan, build_plan
from pgsweep.store import Store, TriageState, VerificationRecord


@dataclass(frozen=True)
class _Stored:
    findings: list[Finding]
    credentials: list[Credential]
    triage: dict[str, TriageState]
    verifications: dict[str, list[VerificationRecord]]
    targets: list[str]


def _load(store_path: Path | None) -> _Stored:
    with Store.open(store_path, create=False) as store:  # never create an empty one here
        return _Stored(
            findings=list(store.findings()),
            credentials=list(store.credentials()),
            triage=dict(store.triage_states()),
            verifications=dict(store.verifications()),
            targets=store.targets(),
        )


def _now(text: str | None) -> datetime:
    if text is None:
        return utc_now()
    t = parse_time(text)
    if t is None:
        raise fail(f"--now: not an ISO 8601 time: {text!r}")
    return t


def _plan(store_path: Path | None, now: datetime) -> Plan:
    s = _load(store_path)
    return build_plan(s.findings, s.credentials, s.triage, s.verifications, now,
                      scanned=s.targets)


@app.command()
def report(
    store: Annotated[Path | None, typer.Option(
        "--store", help="Findings store (default: in the user's data dir).")] = None,
    fmt: Annotated[PlanFormat, typer.Option(
        "--format", "-f", help="Output format.")] = PlanFormat.MARKDOWN,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the plan here.")] = None,
    now: Annotated[str | None, typer.Option(
        "--now", hidden=True, help="Pretend it is this ISO 8601 time (reproducible).")] = None,
) -> None:
    """Render the rotation plan from the findings store, without rescanning."""
    from pgsweep.reporters.output import write_plan

    write_plan(_plan(store, _now(now)), fmt, output)


@app.command()
def explain(
    credential: Annotated[str, typer.Argument(
        help="Credential id (or a unique prefix of one, or a finding id).")],
    store: Annotated[Path | None, typer.Option("--store", help="Findings store.")] = None,
    now: Annotated[str | None, typer.Option("--now", hidden=True)] = None,
) -> None:
    """Explain why a credential got its severity: every factor and its effect."""
    plan = _plan(store, _now(now))
    wanted = credential.strip()
    matches = [p for p in plan.credentials
               if p.credential.id == wanted or wanted in p.credential.findings]
    if not matches and len(wanted) >= 4:
        matches = [p for p in plan.credentials if p.credential.id.startswith(wanted)]
    if not matches:
        raise fail(f"no credential {wanted!r} in the store")
    if len(matches) > 1:
        ids = ", ".join(p.credential.id for p in matches[:5])
        raise fail(f"{wanted!r} is ambiguous: {ids}")
    p = matches[0]
    typer.echo(explain_risk(p.credential, p.risk), nl=False)
