"""Group findings into credentials: one per user, password and host set."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pgsweep.core.models import (
    ChatProvenance,
    CiLogProvenance,
    Credential,
    CredentialId,
    Finding,
    FindingId,
    GitProvenance,
    HistoryProvenance,
    MailProvenance,
    ProcessProvenance,
    Provenance,
    SecretKind,
    Severity,
)
from pgsweep.findings.fingerprint import redact


def provenance_time(p: Provenance) -> str | None:
    """When the secret was exposed at this place, as ISO 8601, if known."""
    if isinstance(p, GitProvenance):
        return p.date
    if isinstance(p, ProcessProvenance):
        return None  # what is running now, not when it was written
    if isinstance(p, CiLogProvenance | HistoryProvenance | ChatProvenance | MailProvenance):
        return p.timestamp or p.mtime  # the record's own time, else the file's
    return p.mtime


@dataclass(frozen=True)
class Sighting:
    """One place a credential was seen, as far as its summary needs it."""

    finding: FindingId
    severity: Severity
    seen_at: str | None


@dataclass(frozen=True)
class Identity:
    """What a credential is, apart from where it was seen."""

    id: CredentialId
    user: str | None
    hosts: tuple[str, ...]
    database: str | None
    kind: SecretKind
    fingerprint: str
    redacted: str


def summarise(who: Identity, sightings: Sequence[Sighting]) -> Credential:
    """The credential seen at `sightings` (at least one): its highest severity, its
    findings in order, and when it was first and last seen."""
    times = sorted(s.seen_at for s in sightings if s.seen_at)
    return Credential(
        id=who.id,
        user=who.user,
        hosts=who.hosts,
        database=who.database,
        kind=who.kind,
        severity=max(s.severity for s in sightings),
        fingerprint=who.fingerprint,
        redacted=who.redacted,
        findings=tuple(s.finding for s in sightings),
        first_seen=times[0] if times else None,
        last_seen=times[-1] if times else None,
    )


def by_severity(credentials: Iterable[Credential]) -> list[Credential]:
    """Highest severity first, then the longest known, then by id."""
    return sorted(credentials, key=lambda c: (-c.severity, c.first_seen or "", c.id))


def group(findings: Iterable[Finding]) -> list[Credential]:
    """Credentials in first-seen order; each lists its findings' ids."""
    by_id: dict[CredentialId, list[Finding]] = {}
    for f in findings:
        by_id.setdefault(f.credential, []).append(f)
    out = []
    for cid, fs in by_id.items():
        head = fs[0]
        who = Identity(cid, head.user, head.hosts, head.database, head.kind, head.fingerprint,
                       redact(head.secret))
        out.append(summarise(
            who, [Sighting(f.id, f.severity, provenance_time(f.provenance)) for f in fs]))
    return by_severity(out)
