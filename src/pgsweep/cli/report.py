"""`pgsweep report` and `pgsweep explain ID`: rotation plans from the findings store."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pgsweep.assess.plan import Plan
from pgsweep.assess.plan_groups import by_repository
from pgsweep.assess.risk import explain as explain_risk
from pgsweep.assess.rotation import build_plan
from pgsweep.cli import STORE_HELP, app, fail, say
from pgsweep.core.display import printable
from pgsweep.core.models import Credential, Finding
from pgsweep.core.times import parse_time, utc_now
from pgsweep.reporters.interface import PlanFormat, format_named_by
from pgsweep.reporters.outfiles import prepare_output
from pgsweep.store import Store, TriageState, VerificationRecord


@dataclass(frozen=True)
class _Stored:
    findings: list[Finding]
    credentials: list[Credential]
    triage: dict[str, TriageState]
    verifications: dict[str, list[VerificationRecord]]
    targets: list[str]
    problems: list[str]


class GroupBy(enum.StrEnum):
    """What `report --group-by` can group credentials by."""

    REPOSITORY = "repository"


TARGET_HELP = "Only what this target (a path or number from `pgsweep targets`) holds."


def _load(store: Store, target: str | None) -> _Stored:
    chosen = store.resolve_target(target) if target is not None else None
    tid = chosen.id if chosen is not None else None
    problems = store.scan_problems()
    if chosen is not None:
        problems = [p for p in problems if printable(chosen.path) in p]
    elif not problems and not store.has_scans():
        problems = [f"no scan has been recorded in {store.location}"]
    return _Stored(
        findings=list(store.findings(target=tid, anchored=True)),
        credentials=list(store.credentials(target=tid)),
        triage=dict(store.triage_states()),
        verifications=dict(store.verifications()),
        targets=[chosen.path] if chosen is not None else [t.path for t in store.targets()],
        problems=problems,
    )


def _now(text: str | None) -> datetime:
    if text is None:
        return utc_now()
    t = parse_time(text)
    if t is None:
        raise fail(f"--now: not an ISO 8601 time: {text!r}")
    return t


def _plan(s: _Stored, now: datetime) -> Plan:
    plan = build_plan(s.findings, s.credentials, s.triage, s.verifications, now,
                      scanned=s.targets)
    return dataclasses.replace(plan, incomplete=tuple(s.problems))


@app.command()
def report(
    store: Annotated[str | None, typer.Option(
        "--store", metavar="PATH|URL", help=STORE_HELP)] = None,
    fmt: Annotated[PlanFormat | None, typer.Option(
        "--format", "-f", help="Output format (default: what the --output file's extension "
        "names: .json, .md, .html; else markdown).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the plan here.")] = None,
    target: Annotated[str | None, typer.Option("--target", help=TARGET_HELP)] = None,
    now: Annotated[str | None, typer.Option(
        "--now", hidden=True, help="Pretend it is this ISO 8601 time (reproducible).")] = None,
    group_by: Annotated[GroupBy | None, typer.Option(
        "--group-by", help="Also list the credentials by repository (a credential seen in "
        "several is under each).")] = None,
) -> None:
    """Render the rotation plan from the findings store, without rescanning."""
    from pgsweep.reporters.output import write_plan

    prepare_output(output)
    at = _now(now)
    with Store.open(store, create=False) as opened:  # never create an empty one here
        stored = _load(opened, target)
    plan = _plan(stored, at)
    if group_by is GroupBy.REPOSITORY:
        plan = dataclasses.replace(plan, groups=by_repository(
            (p.credential.id, p.locations) for p in plan.credentials))
    for why in plan.incomplete:
        typer.echo(f"pgsweep: warning: {why}: credentials may be missing from this plan",
                   err=True)
    named = format_named_by(output)
    if fmt is None:
        fmt = PlanFormat(named) if named in set(PlanFormat) else PlanFormat.MARKDOWN
    write_plan(plan, fmt, output)


@app.command()
def explain(
    credential: Annotated[str, typer.Argument(
        metavar="ID", help="Credential id, a finding id, or a unique prefix of either.")],
    store: Annotated[str | None, typer.Option(
        "--store", metavar="PATH|URL", help=STORE_HELP)] = None,
    target: Annotated[str | None, typer.Option("--target", help=TARGET_HELP)] = None,
    now: Annotated[str | None, typer.Option("--now", hidden=True)] = None,
) -> None:
    """Explain why a credential got its severity: every factor and its effect."""
    at = _now(now)
    with Store.open(store, create=False) as opened:
        stored = _load(opened, target)
        tid = opened.resolve_target(target).id if target is not None else None
        cid = opened.resolve_credential_id(credential, target=tid)
    plan = _plan(stored, at)
    for p in plan.credentials:
        if p.credential.id == cid:
            say(explain_risk(p.credential, p.risk), nl=False)
            return
    raise fail(f"no credential {cid} in the store")
