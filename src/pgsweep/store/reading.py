"""Reading a store back: its findings (with secrets when the key allows) and credentials."""

from __future__ import annotations

from pgsweep.core.models import (
    Credential,
    CredentialId,
    Finding,
    FindingId,
    RuleId,
    SecretKind,
    Severity,
)
from pgsweep.findings.credentials import Identity, Sighting, by_severity, summarise
from pgsweep.store import codec
from pgsweep.store.access import Access
from pgsweep.store.errors import StoreError
from pgsweep.store.targets import scope_filter, target_path


def findings(
    a: Access, repo_key: str | None = None, *, target: int | None = None,
    anchored: bool = False,
) -> list[Finding]:
    """Every recorded occurrence (of one scan scope `repo_key`, or of one `target`).

    `secret` is the plaintext when the store holds it and this process has the key;
    otherwise "" (stored with --no-store-secrets, or the key is unavailable). With
    `anchored`, repository and file paths are absolute (see `codec.anchored`): what a
    report of several targets needs to tell their places apart.
    """
    where, args = scope_filter(a, repo_key, target)
    sql = (
        "SELECT o.id, o.rule, o.kind, o.provenance, o.line, o.username, o.hosts, o.ports,"
        " o.dbname, o.params, o.severity, o.credential_id, c.fingerprint, c.secret,"
        " s.cwd, t.path"
        " FROM occurrences o JOIN credentials c ON c.id = o.credential_id"
        " LEFT JOIN scans s ON s.id = o.last_scan"
        " LEFT JOIN targets t ON t.id = s.target_id"
        f"{where} ORDER BY o.first_scan, o.seq"
    )
    wanted = target_path(a, target) if target is not None else None
    text = a.db.untext
    secrets: dict[str, str] = {}
    out = []
    for row in a.db.execute(sql, args):
        (fid, rule, kind, prov, line, user, hosts, ports, db, params, sev, cid, fp, blob,
         cwd, scanned) = row
        if cid not in secrets:
            secrets[cid] = a.decrypt(blob, cid)
        provenance = codec.provenance_from_json(prov)
        if anchored:
            provenance = codec.anchored(provenance, text(cwd), text(scanned), wanted)
        out.append(
            Finding(
                id=FindingId(fid),
                rule=RuleId(rule),
                kind=SecretKind(kind),
                provenance=provenance,
                line=int(line),
                secret=secrets[cid],
                fingerprint=fp,
                user=text(user),
                hosts=codec.load_tuple(hosts),
                ports=codec.load_tuple(ports),
                database=text(db),
                params=codec.load_params(params),
                severity=Severity(int(sev)),
                credential=CredentialId(cid),
            )
        )
    return out


def credentials(
    a: Access, repo_key: str | None = None, *, target: int | None = None
) -> list[Credential]:
    """Credentials (of one scope or target), highest severity first, each with its
    recorded occurrences' ids."""
    where, args = scope_filter(a, repo_key, target)
    occ_sql = "SELECT o.id, o.credential_id, o.severity, o.seen_at FROM occurrences o" + where
    seen: dict[str, list[Sighting]] = {}
    for fid, cid, sev, at in a.db.execute(occ_sql + " ORDER BY o.seq", args):
        seen.setdefault(cid, []).append(Sighting(FindingId(fid), Severity(int(sev)), at))
    out = []
    rows = a.db.execute(
        "SELECT id, username, hosts, dbname, kind, fingerprint, redacted FROM credentials"
    )
    text = a.db.untext
    for cid, user, hosts, db, kind, fp, redacted in rows:
        if cid in seen:
            who = Identity(CredentialId(cid), text(user), codec.load_tuple(hosts), text(db),
                           SecretKind(kind), fp, text(redacted) or "")
            out.append(summarise(who, seen[cid]))
    return by_severity(out)


def resolve_credential_id(a: Access, text: str, target: int | None = None) -> str:
    """The credential `text` names: its id, the id of one of its findings, or a prefix
    that only one credential's id (or only its findings' ids) starts with.

    With `target`, only credentials seen in that target count. An ambiguous prefix is
    an error that lists the candidates' credential ids.
    """
    text = text.strip()
    if not text:
        raise StoreError("empty credential id")
    where, args = scope_filter(a, None, target)
    rows = a.db.execute(
        "SELECT DISTINCT o.credential_id FROM occurrences o"
        f"{where}{' AND' if where else ' WHERE'}"
        " (substr(o.credential_id, 1, ?) = ? OR substr(o.id, 1, ?) = ?)"
        " ORDER BY o.credential_id LIMIT 11",
        (*args, len(text), text, len(text), text),
    ).fetchall()
    ids = [str(r[0]) for r in rows]
    scope = "" if target is None else f" of target {target_path(a, target)}"
    if not ids:
        raise StoreError(f"no credential {text}{scope} in {a.name}")
    if len(ids) > 1:
        shown = ", ".join(ids[:10]) + (", …" if len(ids) > 10 else "")
        raise StoreError(f"credential id {text} is ambiguous{scope}: {shown}")
    return ids[0]
