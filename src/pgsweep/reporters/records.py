"""Plain-data views of findings and credentials, shared by the machine-readable reporters."""

from __future__ import annotations

import dataclasses
from typing import Any

from pgsweep.fingerprint import redact
from pgsweep.models import Finding, GitProvenance, Severity, provenance_path
from pgsweep.rotation import CredentialPlan


def finding_record(f: Finding, reveal: bool, severity: Severity | None = None) -> dict[str, Any]:
    """One occurrence; `severity` is its credential's risk severity (the signature's rating
    of the match is `signature_severity`)."""
    p = f.provenance
    git = p if isinstance(p, GitProvenance) else None
    prov = {k: v for k, v in dataclasses.asdict(p).items() if v is not None}
    return {
        "id": f.id,
        "rule": f.rule,
        "kind": str(f.kind),
        "source": p.kind,
        "path": provenance_path(p),
        "line": f.line,
        "commit": git.commit if git else None,
        "author": git.author if git else None,
        "date": git.date if git else (getattr(p, "timestamp", None) or getattr(p, "mtime", None)),
        "secret": f.secret if reveal else redact(f.secret),
        "fingerprint": f.fingerprint,
        "user": f.user,
        "host": f.host,
        "port": f.port,
        "database": f.database,
        "params": dict(f.params),
        "severity": str(severity if severity is not None else f.severity),
        "signature_severity": str(f.severity),
        "present_at_head": git.present_at_head if git else None,
        "credential": f.credential,
        "provenance": prov,
    }


def credential_record(p: CredentialPlan) -> dict[str, Any]:
    c = p.credential
    return {
        "id": c.id,
        "user": c.user,
        "hosts": list(c.hosts),
        "database": c.database,
        "kind": str(c.kind),
        "severity": str(p.risk.severity),
        "score": p.risk.score,
        "status": p.status,
        "verification": p.risk.verification,
        "fingerprint": c.fingerprint,
        "secret": c.redacted,
        "findings": list(c.findings),
        "first_seen": c.first_seen,
        "last_seen": c.last_seen,
    }
