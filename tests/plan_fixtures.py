"""Build findings, credentials, verification and triage records for the risk and plan tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pgsweep.findings.credentials as credentials_mod
from pgsweep.core.models import (
    CiLogProvenance,
    Credential,
    FileProvenance,
    Finding,
    GitProvenance,
    HistoryProvenance,
    Provenance,
    RuleId,
    SecretKind,
    Severity,
)
from pgsweep.findings.fingerprint import credential_id, finding_id, fingerprint

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Verification:
    """The shape of pgsweep.store.VerificationRecord."""

    method: str
    status: str
    detail: dict[str, str] | None
    checked_at: str
    credential_id: str = ""


@dataclass(frozen=True)
class Triage:
    status: str
    note: str | None
    updated_at: str


def git(path: str = "config/database.yml", date: str = "2026-05-01T10:00:00+00:00",
        at_head: bool | None = True, commit: str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        repo: str = "/src/shop") -> GitProvenance:
    return GitProvenance(repo=repo, blob="b" * 40, path=path, commit=commit,
                         author="Dev One <dev@example.com>", date=date,
                         present_at_head=at_head)


def ci(path: str = "logs/build.txt", ts: str = "2026-05-10T08:00:00+00:00") -> CiLogProvenance:
    return CiLogProvenance(path=path, system="github-actions", job="build", step="test",
                           timestamp=ts)


def history(path: str = "/home/dev/.bash_history",
            ts: str | None = "2026-05-20T09:00:00+00:00") -> HistoryProvenance:
    return HistoryProvenance(path=path, shell="bash", timestamp=ts, user="dev")


def config(path: str = "/srv/app/.env", mtime: str = "2026-05-25T00:00:00+00:00") -> FileProvenance:
    return FileProvenance(path=path, mtime=mtime)


def finding(secret: str, user: str | None, hosts: tuple[str, ...], prov: Provenance,
            line: int = 3, params: tuple[tuple[str, str], ...] = (),
            kind: SecretKind = SecretKind.PASSWORD, database: str | None = "prod") -> Finding:
    fp = fingerprint(secret)
    cid = credential_id(fp, user, hosts)
    where = getattr(prov, "path", None) or ""
    return Finding(
        id=finding_id(cid, "pg.uri.1", f"{prov.kind}:{where}", line),
        rule=RuleId("pg.uri.1"),
        kind=kind,
        provenance=prov,
        line=line,
        secret=secret,
        fingerprint=fp,
        user=user,
        hosts=hosts,
        ports=("5432",) * len(hosts),
        database=database,
        params=params,
        severity=Severity.HIGH,
        credential=cid,
    )


def grouped(findings: list[Finding]) -> list[Credential]:
    return credentials_mod.group(findings)
