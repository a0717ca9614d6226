"""Plain-data views of findings and credentials, shared by the machine-readable reporters."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pgsweep.assess.plan import CredentialPlan
from pgsweep.core.models import Credential, Finding, GitProvenance, Severity, provenance_path
from pgsweep.findings.credentials import provenance_time
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.places import Place


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
        "repository": git.repo if git else None,
        "path": provenance_path(p),
        "line": f.line,
        "commit": git.commit if git else None,
        "author": git.author if git else None,
        "date": provenance_time(p),
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


def place_record(
    place: Place, reveal: bool, severity: Severity | None, versions: bool = False
) -> dict[str, Any]:
    """One credential at one place: the version shown (at the tip, else the introducing
    one), where it came from and went, and, with `versions`, every version's own record."""
    record = finding_record(place.finding, reveal, severity)
    first = place.introduced
    last = place.latest.provenance
    record.update(
        id=place.id,
        commit=place.commit,
        author=first.provenance.author if isinstance(first.provenance, GitProvenance) else None,
        date=finding_record(first, False)["date"],
        last_commit=place.last_commit,
        last_date=last.date if isinstance(last, GitProvenance) else None,
        present_at_head=place.present_at_head,
        versions=place.versions,
    )
    if versions:
        record["version_findings"] = [finding_record(f, reveal, severity)
                                      for f in place.findings]
    return record


def credential_identity(c: Credential) -> dict[str, Any]:
    """What a credential is, as every JSON document names it: id, user, hosts, database,
    kind."""
    return {
        "id": c.id,
        "user": c.user,
        "hosts": list(c.hosts),
        "database": c.database,
        "kind": str(c.kind),
    }


def credential_record(p: CredentialPlan, finding_ids: Sequence[str]) -> dict[str, Any]:
    """One credential with its plan's severity and triage; `finding_ids` are the ids of its
    places (the document's findings)."""
    c = p.credential
    return {
        **credential_identity(c),
        "severity": str(p.risk.severity),
        "score": p.risk.score,
        "status": p.status,
        "note": p.risk.triage_note,
        "verification": p.risk.verification,
        "fingerprint": c.fingerprint,
        "secret": c.redacted,
        "findings": list(finding_ids),
        "first_seen": c.first_seen,
        "last_seen": c.last_seen,
    }
