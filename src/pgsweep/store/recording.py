"""Recording a scan: its target, its credentials and their occurrences, in one transaction."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pgsweep import __version__
from pgsweep.core.models import CredentialId, Finding, GitProvenance, provenance_path
from pgsweep.findings.credentials import provenance_time
from pgsweep.store import codec
from pgsweep.store.access import Access, batches, marks, now
from pgsweep.store.errors import StoreError
from pgsweep.store.health import end_scan
from pgsweep.store.keys import StoreKey
from pgsweep.store.sealed import SealedSecret, seal
from pgsweep.store.targets import repo_key_for
from pgsweep.store.triage import set_triage, triage_rows

if TYPE_CHECKING:
    from pgsweep.findings.pipeline import ScanResult


def where(f: Finding) -> str:
    """A place for humans (never the secret): path and line, commit when known."""
    p = f.provenance
    if isinstance(p, GitProvenance):
        place = f"{p.path}:{f.line}" if p.path else f"blob {p.blob[:12]} line {f.line}"
        return f"{place} in commit {p.commit[:12]}" if p.commit else place
    return f"{provenance_path(p)}:{f.line}"


def record_scan(
    a: Access,
    result: ScanResult,
    target: str,
    *,
    repo_key: str | None = None,
    scan_version: str | None = None,
    target_kind: str = "path",
    sealed: Mapping[str, SealedSecret] | None = None,
) -> int:
    """Record one scan of `target` (the path as given, relative to the current folder):
    upsert its credentials and occurrences and link them to the target; returns the
    scan id.

    A credential triaged `rotated` that appears at a place never recorded before is
    reopened (status `open`, with a note saying where it reappeared).

    `sealed` holds, per credential id, its secret already sealed with this store's key
    (a worker's result: its findings carry no plaintext secret).
    """
    key = a.require_key("record a scan")
    sealed = dict(sealed or {})
    if any(s.key_id != key.key_id for s in sealed.values()):
        raise StoreError(f"{a.name}: secrets sealed with another key; not recorded")
    repo_key = repo_key or repo_key_for(target)
    stats = {k: v for k, v in dataclasses.asdict(result.stats).items() if k != "warnings"}
    at = now()
    by_cred: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_cred.setdefault(f.credential, []).append(f)
    redacted = {c.id: c.redacted for c in result.credentials}
    db = a.db
    with db.transaction():
        target_id = _upsert_target(a, repo_key_for(target), target_kind)
        scan_id = db.insert(
            "INSERT INTO scans (target, started_at, pgsweep_version, stats, repo_key,"
            " scan_version, target_id, cwd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (db.text(target), at, __version__, json.dumps(stats), db.text(repo_key),
             scan_version, target_id, db.text(os.getcwd())),
        )
        end_scan(a, repo_key)
        known_creds = _existing(a, "credentials", list(by_cred))
        known_occ = _existing(a, "occurrences", [f.id for f in result.findings])
        known_places = _places(a, list(known_creds))
        states = triage_rows(a, list(known_creds))
        seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM occurrences").fetchone()[0])
        for cid, fs in by_cred.items():
            secret = next((f.secret for f in fs if f.secret), "")
            sealed_secret = sealed.get(cid) or _sealed_here(
                key, cid, secret, redacted.get(CredentialId(cid)), a.store_secrets)
            if cid in known_creds:
                _touch_credential(a, cid, sealed_secret, scan_id)
            else:
                _insert_credential(a, fs[0], sealed_secret, scan_id)
            new_places = [
                f for f in fs if (cid, codec.place_key(f.provenance, f.line)) not in known_places
            ]
            for f in fs:
                if f.id in known_occ:
                    _touch_occurrence(a, f, scan_id)
                else:
                    seq += 1
                    _insert_occurrence(a, f, scan_id, seq)
                db.execute(
                    "INSERT INTO occurrence_repos (repo_key, occurrence_id, target_id)"
                    " VALUES (?, ?, ?) ON CONFLICT (repo_key, occurrence_id)"
                    " DO UPDATE SET target_id = excluded.target_id",
                    (db.text(repo_key), f.id, target_id),
                )
            state = states.get(cid)
            if new_places and state is not None and state[0] == "rotated":
                note = (
                    f"reopened by scan {scan_id}: seen at a new place "
                    f"({where(new_places[0])}) after being marked rotated"
                )
                if state[1]:
                    note += f"; earlier note: {state[1]}"
                set_triage(a, cid, "open", note, at)
    return scan_id


def _upsert_target(a: Access, path: str, kind: str) -> int:
    a.db.execute(
        "INSERT INTO targets (path, kind) VALUES (?, ?)"
        " ON CONFLICT (path) DO UPDATE SET kind = excluded.kind",
        (a.db.text(path), kind),
    )
    return int(a.db.execute(
        "SELECT id FROM targets WHERE path = ?", (a.db.text(path),)).fetchone()[0])


def _sealed_here(
    key: StoreKey, cid: str, secret: str, redacted: str | None, keep: bool
) -> SealedSecret:
    """The secret of a scan run in this process, sealed as a worker would have."""
    sealed = seal(key, cid, secret, keep=keep)
    return sealed if redacted is None else dataclasses.replace(sealed, redacted=redacted)


def _touch_credential(a: Access, cid: str, sealed: SealedSecret, scan_id: int) -> None:
    a.db.execute("UPDATE credentials SET last_scan = ? WHERE id = ?", (scan_id, cid))
    if a.store_secrets and sealed.ciphertext is not None:
        a.db.execute(
            "UPDATE credentials SET secret = ? WHERE id = ? AND secret IS NULL",
            (sealed.ciphertext, cid),
        )


def _insert_credential(a: Access, head: Finding, sealed: SealedSecret, scan_id: int) -> None:
    cid = head.credential
    a.db.execute(
        "INSERT INTO credentials (id, username, hosts, dbname, kind, fingerprint,"
        " secret_hash, secret, redacted, first_scan, last_scan)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            cid,
            a.db.text(head.user),
            codec.dump_tuple(head.hosts),
            a.db.text(head.database),
            str(head.kind),
            head.fingerprint,
            sealed.secret_hash,
            sealed.ciphertext if a.store_secrets else None,
            a.db.text(sealed.redacted),
            scan_id,
            scan_id,
        ),
    )


def _places(a: Access, cred_ids: Sequence[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for batch in batches(sorted(cred_ids)):
        rows = a.db.execute(
            f"SELECT credential_id, place FROM occurrences WHERE credential_id IN ({marks(batch)})",
            batch,
        )
        found.update((cid, a.db.untext(place) or "") for cid, place in rows)
    return found


def _touch_occurrence(a: Access, f: Finding, scan_id: int) -> None:
    a.db.execute(
        "UPDATE occurrences SET provenance = ?, severity = ?, seen_at = ?, last_scan = ?"
        " WHERE id = ?",
        (codec.provenance_to_json(f.provenance), int(f.severity), provenance_time(f.provenance),
         scan_id, f.id),
    )


def _insert_occurrence(a: Access, f: Finding, scan_id: int, seq: int) -> None:
    text = a.db.text
    a.db.execute(
        "INSERT INTO occurrences (id, credential_id, rule, kind, source, provenance, line,"
        " username, hosts, ports, dbname, params, severity, seen_at, first_scan, last_scan,"
        " place, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            f.id,
            f.credential,
            f.rule,
            str(f.kind),
            f.provenance.kind,
            codec.provenance_to_json(f.provenance),
            f.line,
            text(f.user),
            codec.dump_tuple(f.hosts),
            codec.dump_tuple(f.ports),
            text(f.database),
            codec.dump_params(f.params, f.secret),
            int(f.severity),
            provenance_time(f.provenance),
            scan_id,
            scan_id,
            text(codec.place_key(f.provenance, f.line)),
            seq,
        ),
    )


def _existing(a: Access, table: str, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for batch in batches(sorted(set(ids))):
        rows = a.db.execute(f"SELECT id FROM {table} WHERE id IN ({marks(batch)})", batch)
        found.update(r[0] for r in rows)
    return found
