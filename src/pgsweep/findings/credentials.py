"""Group findings into credentials: one per user, password and host set."""

from __future__ import annotations

from collections.abc import Iterable

from pgsweep.core.models import (
    Credential,
    CredentialId,
    Finding,
    GitProvenance,
    Provenance,
)
from pgsweep.findings.fingerprint import redact


def provenance_time(p: Provenance) -> str | None:
    """When the secret was exposed at this place, as ISO 8601, if known."""
    if isinstance(p, GitProvenance):
        return p.date
    return getattr(p, "timestamp", None) or getattr(p, "mtime", None)


def group(findings: Iterable[Finding]) -> list[Credential]:
    """Credentials in first-seen order; each lists its findings' ids."""
    by_id: dict[CredentialId, list[Finding]] = {}
    for f in findings:
        by_id.setdefault(f.credential, []).append(f)
    out = []
    for cid, fs in by_id.items():
        times = sorted(t for t in (provenance_time(f.provenance) for f in fs) if t)
        head = fs[0]
        out.append(
            Credential(
                id=cid,
                user=head.user,
                hosts=head.hosts,
                database=head.database,
                kind=head.kind,
                severity=max(f.severity for f in fs),
                fingerprint=head.fingerprint,
                redacted=redact(head.secret),
                findings=tuple(f.id for f in fs),
                first_seen=times[0] if times else None,
                last_seen=times[-1] if times else None,
            )
        )
    out.sort(key=lambda c: (-c.severity, c.first_seen or "", c.id))
    return out
