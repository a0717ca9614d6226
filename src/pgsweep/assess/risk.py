"""Score each leaked credential's risk from explainable factors; find reuse and weak transport."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pgsweep.assess.hosts import classify_hosts, is_privileged_role
from pgsweep.assess.plan import (
    CRITICAL_AT,
    HIGH_AT,
    MEDIUM_AT,
    CredentialRisk,
    ReuseIssue,
    TransportIssue,
)
from pgsweep.assess.risk_factors import (
    FACTORS,
    Channel,
    Factor,
    Facts,
    RiskFactor,
    TriageLike,
    VerificationLike,
    account,
    channel_of,
    sslmode_of,
    verification_status,
    verification_time,
    weakest_sslmode,
)
from pgsweep.core.models import (
    Credential,
    Finding,
    GitProvenance,
    SecretKind,
    Severity,
)
from pgsweep.core.times import parse_time
from pgsweep.findings.credentials import provenance_time
from pgsweep.findings.places import is_uncommitted


# --------------------------------------------------------------------------- helpers
def score_to_severity(score: int) -> Severity:
    if score >= CRITICAL_AT:
        return Severity.CRITICAL
    if score >= HIGH_AT:
        return Severity.HIGH
    if score >= MEDIUM_AT:
        return Severity.MEDIUM
    return Severity.LOW


def apply_bounds(severity: Severity, factors: Iterable[RiskFactor]) -> Severity:
    """Apply the factors' floors and caps in the order they are listed: the detector's rating
    first, then verification, then triage, so a later decision overrides an earlier one."""
    for f in factors:
        if f.floor is not None and severity < f.floor:
            severity = f.floor
        if f.cap is not None and severity > f.cap:
            severity = f.cap
    return severity


def latest(records: Sequence[VerificationLike]) -> VerificationLike | None:
    """The most recent record; on equal times, the later one in the list."""
    best: VerificationLike | None = None
    for r in records:
        if best is None or verification_time(r) >= verification_time(best):
            best = r
    return best


# --------------------------------------------------------------------------- reuse
def find_reuse(credentials: Sequence[Credential]) -> dict[str, list[Credential]]:
    """Fingerprints shared by two or more credentials (each a different user or host set)."""
    by_fp: dict[str, list[Credential]] = {}
    for c in credentials:
        if c.kind is SecretKind.PASSWORD and c.fingerprint:
            by_fp.setdefault(c.fingerprint, []).append(c)
    return {fp: cs for fp, cs in by_fp.items() if len(cs) > 1}


# --------------------------------------------------------------------------- assessment
# Forms whose password is the server's own administrator, whatever the user is called: a
# managed instance's master password (Terraform's aws_db_instance and aws_rds_cluster, whose
# master user holds rds_superuser; azurerm's administrator_login).
SERVER_ADMIN_RULES = frozenset({"pg.terraform.1"})


def _facts(
    credential: Credential,
    findings: Sequence[Finding],
    now: datetime,
    reused_with: Sequence[Credential],
    verifications: Sequence[VerificationLike],
    triage: TriageLike | None,
) -> tuple[Facts, datetime | None]:
    """Work out once what the factors read; also the time of the last exposure."""
    channels = tuple(sorted({channel_of(f) for f in findings},
                            key=lambda ch: list(Channel).index(ch)))
    # at the tip or only in history: what a commit a ref holds says (a staged blob and a
    # dangling object are in neither)
    flags = [f.provenance.present_at_head for f in findings
             if isinstance(f.provenance, GitProvenance) and not is_uncommitted(f)
             and f.provenance.reachable and f.provenance.present_at_head is not None]
    times = sorted(t for t in (parse_time(provenance_time(f.provenance)) for f in findings) if t)
    first = times[0] if times else parse_time(credential.first_seen)
    last = times[-1] if times else parse_time(credential.last_seen)
    facts = Facts(
        credential=credential,
        findings=findings,
        host=classify_hosts(credential.hosts),
        privileged=(is_privileged_role(credential.user)
                    or any(f.rule in SERVER_ADMIN_RULES for f in findings)),
        channels=channels,
        present_at_head=any(flags) if flags else None,
        first=first,
        exposure_days=max(0, (now - first).days) if first is not None else None,
        reused_with=reused_with,
        sslmode=weakest_sslmode(sslmode_of(f) for f in findings) if findings else None,
        verification=latest(verifications),
        triage=triage,
    )
    return facts, last


def assess(
    credential: Credential,
    findings: Sequence[Finding],
    now: datetime,
    reused_with: Sequence[Credential] = (),
    verifications: Sequence[VerificationLike] = (),
    triage: TriageLike | None = None,
    factors: Sequence[Factor] = FACTORS,
) -> CredentialRisk:
    """Score one credential. `findings` are its occurrences; `now` is explicit (testable)."""
    facts, last = _facts(credential, findings, now, reused_with, verifications, triage)
    moved = tuple(f for factor in factors for f in factor(facts))
    score = sum(f.effect for f in moved)
    first = facts.first
    return CredentialRisk(
        credential=credential.id,
        severity=apply_bounds(score_to_severity(score), moved),
        score=score,
        factors=moved,
        host=facts.host,
        privileged=facts.privileged,
        channels=facts.channels,
        first_seen=first.isoformat() if first else credential.first_seen,
        last_seen=last.isoformat() if last else credential.last_seen,
        exposure_days=facts.exposure_days,
        present_at_head=facts.present_at_head,
        sslmode=facts.sslmode,
        verification=verification_status(facts.verification) if facts.verification else None,
        triage=triage.status if triage else None,
        triage_note=triage.note if triage else None,
        reused_with=tuple(o.id for o in reused_with),
    )


@dataclass(frozen=True)
class Assessment:
    """Every credential's risk, highest first, plus the reuse and transport issues."""

    risks: tuple[CredentialRisk, ...]
    reuse: tuple[ReuseIssue, ...]
    transport: tuple[TransportIssue, ...]

    def risk_of(self, cid: str) -> CredentialRisk | None:
        return next((r for r in self.risks if r.credential == cid), None)


def assess_all(
    findings: Iterable[Finding],
    credentials: Sequence[Credential],
    now: datetime,
    verifications: Mapping[str, Sequence[VerificationLike]] | None = None,
    triage: Mapping[str, TriageLike] | None = None,
) -> Assessment:
    """Assess every credential; the order is severity, score, then first exposure."""
    verifications = verifications or {}
    triage = triage or {}
    by_cred: dict[str, list[Finding]] = {}
    for f in findings:
        by_cred.setdefault(f.credential, []).append(f)
    shared = find_reuse(credentials)
    risks: list[CredentialRisk] = []
    for c in credentials:
        group = shared.get(c.fingerprint, []) if c.kind is SecretKind.PASSWORD else []
        others = [o for o in group if o.id != c.id]
        risks.append(assess(
            c, by_cred.get(c.id, []), now, others, verifications.get(c.id, ()), triage.get(c.id),
        ))
    risks.sort(key=lambda r: (-r.severity, -r.score, r.first_seen or "", r.credential))
    by_id = {r.credential: r for r in risks}
    reuse: list[ReuseIssue] = []
    for fp, cs in shared.items():
        classes = tuple(classify_hosts(c.hosts).cls for c in cs)
        reuse.append(ReuseIssue(
            fingerprint=fp,
            credentials=tuple(c.id for c in cs),
            accounts=tuple(account(c) for c in cs),
            host_classes=classes,
            severity=max(by_id[c.id].severity for c in cs),
        ))
    reuse.sort(key=lambda r: (-r.severity, r.credentials))
    transport = tuple(
        TransportIssue(r.credential, r.sslmode,
                       next(f.reason for f in r.factors if f.name == "transport.weak"))
        for r in risks if any(f.name == "transport.weak" for f in r.factors)
    )
    return Assessment(tuple(risks), tuple(reuse), transport)


def explain(credential: Credential, risk: CredentialRisk) -> str:
    """Plain text: why a credential has its severity, one factor per line."""
    lines = [
        (f"credential {credential.id}: {account(credential)} "
         f"(database {credential.database or '?'}, {credential.kind}, "
         f"secret {credential.redacted})"),
        (f"severity {risk.severity} (score {risk.score}; critical >= {CRITICAL_AT}, "
        f"high >= {HIGH_AT}, medium >= {MEDIUM_AT}, else low)"),
        "",
    ]
    width = max((len(f.describe_effect()) for f in risk.factors), default=2)
    for f in risk.factors:
        lines.append(f"  {f.describe_effect():>{width}}  {f.name:<22} {f.reason}")
    if risk.reused_with:
        lines += ["", "reused by: " + ", ".join(risk.reused_with)]
    return "\n".join(lines) + "\n"
