"""The rotation plan as a versioned JSON document (docs/rotation.md)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pgsweep import __version__
from pgsweep.assess.locations import Location
from pgsweep.assess.plan import CredentialPlan, CredentialRisk, Plan, Recommendation
from pgsweep.assess.risk_factors import RiskFactor
from pgsweep.core.display import utf8_data
from pgsweep.reporters.records import credential_identity


def factor_record(f: RiskFactor) -> dict[str, Any]:
    return {
        "name": f.name,
        "effect": f.effect,
        "floor": str(f.floor) if f.floor is not None else None,
        "cap": str(f.cap) if f.cap is not None else None,
        "reason": f.reason,
    }


def risk_record(r: CredentialRisk) -> dict[str, Any]:
    return {
        "severity": str(r.severity),
        "score": r.score,
        "host_class": str(r.host.cls),
        "provider": r.host.provider,
        "privileged": r.privileged,
        "channels": [str(c) for c in r.channels],
        "first_seen": r.first_seen,
        "last_seen": r.last_seen,
        "exposure_days": r.exposure_days,
        "present_at_head": r.present_at_head,
        "sslmode": r.sslmode,
        "verification": r.verification,
        "triage": r.triage,
        "reused_with": list(r.reused_with),
        "factors": [factor_record(f) for f in r.factors],
    }


def location_record(loc: Location) -> dict[str, Any]:
    return {
        "finding": loc.finding,
        "channel": str(loc.channel),
        "where": loc.where,
        "line": loc.line,
        "seen": loc.seen,
        "present": loc.present,
        "detail": loc.detail,
        "place": loc.place,
        "versions": loc.versions,
        "commit": loc.commit,
        "last_commit": loc.last_commit,
        "repository": loc.repository,
    }


def step_record(s: Recommendation) -> dict[str, Any]:
    return {
        "section": str(s.section),
        "order": s.order,
        "title": s.title,
        "detail": s.detail,
        "commands": list(s.commands),
        "tier": s.tier,
    }


def credential_plan_record(p: CredentialPlan) -> dict[str, Any]:
    c = p.credential
    return {
        **credential_identity(c),
        "secret": c.redacted,
        "fingerprint": c.fingerprint,
        "status": p.status,
        "note": p.risk.triage_note,
        "risk": risk_record(p.risk),
        "locations": [location_record(loc) for loc in p.locations],
        "steps": [step_record(s) for s in p.steps],
    }


def plan_record(plan: Plan) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for p in plan.credentials:
        counts[str(p.risk.severity)] = counts.get(str(p.risk.severity), 0) + 1
    return {
        "version": plan.version,
        "kind": "pgsweep-rotation-plan",
        "tool": {"name": "pgsweep", "version": __version__},
        "generated_at": plan.generated_at,
        "scanned": list(plan.scanned),
        "complete": not plan.incomplete,
        "incomplete": list(plan.incomplete),
        "summary": {"credentials": len(plan.credentials), "to_rotate": len(plan.to_rotate),
                    "by_severity": counts,
                    "reuse": len(plan.reuse), "weak_transport": len(plan.transport)},
        "credentials": [credential_plan_record(p) for p in plan.credentials],
        "reuse": [
            {
                "fingerprint": r.fingerprint,
                "credentials": list(r.credentials),
                "accounts": list(r.accounts),
                "host_classes": [str(h) for h in r.host_classes],
                "spans_environments": r.spans_environments,
                "severity": str(r.severity),
            }
            for r in plan.reuse
        ],
        "transport": [
            {"credential": t.credential, "sslmode": t.sslmode, "reason": t.reason}
            for t in plan.transport
        ],
        "groups": [{"repository": g.name, "credentials": list(g.credentials)}
                   for g in plan.groups],
    }


class PlanJsonReporter:
    def render_plan(self, plan: Plan, out: TextIO) -> None:
        json.dump(utf8_data(plan_record(plan)), out, indent=2, ensure_ascii=False)
        out.write("\n")
