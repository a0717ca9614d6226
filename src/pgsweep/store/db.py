"""The findings store: one SQLite file of credentials, occurrences, triage and verifications."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import platformdirs

from pgsweep import __version__
from pgsweep.core.models import (
    Credential,
    CredentialId,
    Finding,
    FindingId,
    GitProvenance,
    RuleId,
    SecretKind,
    Severity,
    provenance_path,
)
from pgsweep.findings.credentials import provenance_time
from pgsweep.findings.fingerprint import redact, secret_length
from pgsweep.store import codec
from pgsweep.store.errors import StoreError
from pgsweep.store.keys import StoreKey, load_key
from pgsweep.store.schema import TRIAGE_STATUSES, migrate
from pgsweep.store.sealed import SealedSecret

if TYPE_CHECKING:
    from pgsweep.findings.pipeline import ScanResult

STORE_FILE_NAME = "store.db"
_BATCH = 500
# A `meta` row per scan under way (key: this prefix and the scope): written when a scan
# starts, removed when it is recorded. One left behind is a scan that never finished.
_RUNNING = "scan-running:"


def default_store_path() -> Path:
    """`store.db` in the user's data dir (XDG_DATA_HOME/pgsweep on Linux)."""
    return Path(platformdirs.user_data_dir("pgsweep")) / STORE_FILE_NAME


def repo_key_for(target: str) -> str:
    """What identifies a scan target across runs: its absolute path ("-" for stdin), or
    the URL (without credentials) of a remote repository."""
    return target if target == "-" or "://" in target else str(Path(target).resolve())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _BATCH):
        yield items[i : i + _BATCH]


@dataclass(frozen=True)
class TriageState:
    """A person's decision about a credential; `open` until someone triages it."""

    status: str
    note: str | None
    updated_at: str


@dataclass(frozen=True)
class TargetInfo:
    """Something scans were run on: a repository, a folder or swept root, a file, stdin."""

    id: int
    path: str  # absolute ("-" for standard input)
    kind: str  # git, folder, file, stdin ("path" for targets recorded before kinds)
    scans: int = 0
    credentials: int = 0
    occurrences: int = 0
    last_scan: str | None = None


@dataclass(frozen=True)
class ForgetResult:
    """What forgetting a target removed: what only that target had seen."""

    target: TargetInfo
    credentials: int
    occurrences: int


@dataclass(frozen=True)
class VerificationRecord:
    """One verification of a credential (offline against verifiers, or live)."""

    credential_id: str
    method: str
    status: str
    detail: Mapping[str, Any]
    checked_at: str


def _where(f: Finding) -> str:
    """A place for humans (never the secret): path and line, commit when known."""
    p = f.provenance
    if isinstance(p, GitProvenance):
        place = f"{p.path}:{f.line}" if p.path else f"blob {p.blob[:12]} line {f.line}"
        return f"{place} in commit {p.commit[:12]}" if p.commit else place
    return f"{provenance_path(p)}:{f.line}"


class Store:
    """Open with `Store.open()`; use as a context manager or call `close()`."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        key: StoreKey | None,
        locked_reason: str | None,
        store_secrets: bool,
    ) -> None:
        self._conn = conn
        self._lock = threading.RLock()  # one connection; writers from worker threads take turns
        self.path = path
        self._key = key
        self._locked_reason = locked_reason
        self.store_secrets = store_secrets

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        store_secrets: bool = True,
        create: bool = True,
        key_path: Path | None = None,
    ) -> Store:
        """Open (creating and migrating as needed) the store at `path` or the default one.

        The key comes from $PGSWEEP_STORE_KEY or the key file (`key_path`, default in the
        user's config dir), created on first use. Without the right key the store opens
        read-only for secrets: findings carry `secret == ""` and `record_scan` refuses.
        """
        path = Path(path) if path is not None else default_store_path()
        if not path.exists():
            if not create:
                raise StoreError(f"{path}: no findings store here (run pgsweep scan first)")
            _create_private_file(path)
        elif not path.is_file():  # a folder, FIFO or device: SQLite would fail or block
            raise StoreError(f"{path}: not a findings store (not a regular file)")
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
            _check_integrity(conn, path)
            stored_id = _meta(conn, "key_id")
            key = load_key(create=stored_id is None, key_path=key_path)
            reason = None
            if key is None:
                reason = "no store key (set PGSWEEP_STORE_KEY or restore the key file)"
            elif stored_id is None:
                conn.execute("INSERT INTO meta (key, value) VALUES ('key_id', ?)", (key.key_id,))
            elif stored_id != key.key_id:
                reason = f"the store was written with a different key than {key.origin}"
                key = None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: not a usable findings store ({exc})") from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, key, reason, store_secrets)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def secrets_available(self) -> bool:
        """True when this process holds the key the store's secrets were written with."""
        return self._key is not None

    @property
    def schema_version(self) -> int:
        return int(_meta(self._conn, "schema_version") or 0)

    def ensure_writable(self) -> None:
        """Raise StoreError now, before a long scan, if `record_scan` would refuse or fail:
        no key, or a store (or its folder, for the journal) that cannot be written."""
        self._require_key("record a scan")
        try:
            with self._transaction():
                # A write rolled back: SQLite opens the journal and takes the write lock.
                self._conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('write_check', ?)",
                    (_now(),))
                raise _Probe
        except _Probe:
            pass

    def sealing_key(self) -> StoreKey:
        """The key secrets are sealed with before they cross to this store from a worker."""
        return self._require_key("seal secrets")

    def _require_key(self, action: str) -> StoreKey:
        if self._key is None:
            raise StoreError(f"{self.path}: cannot {action}: {self._locked_reason}")
        return self._key

    # ------------------------------------------------------------------ writing scans
    def record_scan(
        self,
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
        key = self._require_key("record a scan")
        sealed = dict(sealed or {})
        if any(s.key_id != key.key_id for s in sealed.values()):
            raise StoreError(f"{self.path}: secrets sealed with another key; not recorded")
        repo_key = repo_key or repo_key_for(target)
        target_path = repo_key_for(target)
        stats = {k: v for k, v in dataclasses.asdict(result.stats).items() if k != "warnings"}
        now = _now()
        by_cred: dict[str, list[Finding]] = {}
        for f in result.findings:
            by_cred.setdefault(f.credential, []).append(f)
        creds = {c.id: c for c in result.credentials}
        conn = self._conn
        with self._transaction():
            conn.execute(
                "INSERT INTO targets (path, kind) VALUES (?, ?)"
                " ON CONFLICT (path) DO UPDATE SET kind = excluded.kind",
                (codec.dump_text(target_path), target_kind),
            )
            target_id = int(conn.execute(
                "SELECT id FROM targets WHERE path = ?", (codec.dump_text(target_path),)
            ).fetchone()[0])
            cur = conn.execute(
                "INSERT INTO scans (target, started_at, pgsweep_version, stats, repo_key,"
                " scan_version, target_id, cwd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (codec.dump_text(target), now, __version__, json.dumps(stats),
                 codec.dump_text(repo_key), scan_version, target_id,
                 codec.dump_text(os.getcwd())),
            )
            scan_id = int(cur.lastrowid or 0)
            conn.execute("DELETE FROM meta WHERE key = ?", (codec.dump_text(_RUNNING + repo_key),))
            known_creds = self._existing("credentials", list(by_cred))
            known_occ = self._existing("occurrences", [f.id for f in result.findings])
            known_places = self._places(list(known_creds))
            states = self._triage_rows(list(known_creds))
            for cid, fs in by_cred.items():
                secret = next((f.secret for f in fs if f.secret), "")
                seal = sealed.get(cid)
                blob = seal.ciphertext if seal is not None else (
                    key.encrypt(secret, cid) if secret else None)
                if not self.store_secrets:
                    blob = None
                if cid in known_creds:
                    conn.execute(
                        "UPDATE credentials SET last_scan = ? WHERE id = ?", (scan_id, cid))
                    if blob is not None:
                        conn.execute(
                            "UPDATE credentials SET secret = ? WHERE id = ? AND secret IS NULL",
                            (blob, cid),
                        )
                else:
                    c = creds.get(CredentialId(cid))
                    head = fs[0]
                    conn.execute(
                        "INSERT INTO credentials (id, username, hosts, dbname, kind, fingerprint,"
                        " secret_hash, secret, redacted, first_scan, last_scan)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            cid,
                            codec.dump_text(head.user),
                            codec.dump_tuple(head.hosts),
                            codec.dump_text(head.database),
                            str(head.kind),
                            head.fingerprint,
                            seal.secret_hash if seal is not None else key.keyed_hash(secret),
                            blob,
                            codec.dump_text(
                                seal.redacted if seal is not None
                                else c.redacted if c is not None else redact(secret)),
                            scan_id,
                            scan_id,
                        ),
                    )
                new_places = [
                    f for f in fs
                    if (cid, codec.place_key(f.provenance, f.line)) not in known_places
                ]
                for f in fs:
                    self._upsert_occurrence(f, scan_id, f.id in known_occ)
                    conn.execute(
                        "INSERT INTO occurrence_repos (repo_key, occurrence_id, target_id)"
                        " VALUES (?, ?, ?) ON CONFLICT (repo_key, occurrence_id)"
                        " DO UPDATE SET target_id = excluded.target_id",
                        (codec.dump_text(repo_key), f.id, target_id),
                    )
                state = states.get(cid)
                if new_places and state is not None and state[0] == "rotated":
                    note = (
                        f"reopened by scan {scan_id}: seen at a new place "
                        f"({_where(new_places[0])}) after being marked rotated"
                    )
                    if state[1]:
                        note += f"; earlier note: {state[1]}"
                    self._set_triage(cid, "open", note, now)
        return scan_id

    def _places(self, cred_ids: Sequence[str]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for batch in _batches(sorted(cred_ids)):
            marks = ",".join("?" * len(batch))
            rows = self._conn.execute(
                f"SELECT credential_id, place FROM occurrences WHERE credential_id IN ({marks})",
                batch,
            )
            found.update((cid, codec.load_text(place) or "") for cid, place in rows)
        return found

    def _upsert_occurrence(self, f: Finding, scan_id: int, known: bool) -> None:
        prov = codec.provenance_to_json(f.provenance)
        if known:
            self._conn.execute(
                "UPDATE occurrences SET provenance = ?, severity = ?, seen_at = ?, last_scan = ?"
                " WHERE id = ?",
                (prov, int(f.severity), provenance_time(f.provenance), scan_id, f.id),
            )
            return
        self._conn.execute(
            "INSERT INTO occurrences (id, credential_id, rule, kind, source, provenance, line,"
            " username, hosts, ports, dbname, params, severity, seen_at, first_scan, last_scan,"
            " place) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f.id,
                f.credential,
                f.rule,
                str(f.kind),
                f.provenance.kind,
                prov,
                f.line,
                codec.dump_text(f.user),
                codec.dump_tuple(f.hosts),
                codec.dump_tuple(f.ports),
                codec.dump_text(f.database),
                codec.dump_params(f.params, f.secret),
                int(f.severity),
                provenance_time(f.provenance),
                scan_id,
                scan_id,
                codec.dump_text(codec.place_key(f.provenance, f.line)),
            ),
        )

    def _existing(self, table: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(sorted(set(ids))):
            marks = ",".join("?" * len(batch))
            rows = self._conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", batch)
            found.update(r[0] for r in rows)
        return found

    # ------------------------------------------------------------------ reading
    def findings(
        self, repo_key: str | None = None, *, target: int | None = None, anchored: bool = False
    ) -> list[Finding]:
        """Every recorded occurrence (of one scan scope `repo_key`, or of one `target`).

        `secret` is the plaintext when the store holds it and this process has the key;
        otherwise "" (stored with --no-store-secrets, or the key is unavailable). With
        `anchored`, repository and file paths are absolute (see `codec.anchored`): what a
        report of several targets needs to tell their places apart.
        """
        where, args = _scope_filter(repo_key, target)
        sql = (
            "SELECT o.id, o.rule, o.kind, o.provenance, o.line, o.username, o.hosts, o.ports,"
            " o.dbname, o.params, o.severity, o.credential_id, c.fingerprint, c.secret,"
            " s.cwd, t.path"
            " FROM occurrences o JOIN credentials c ON c.id = o.credential_id"
            " LEFT JOIN scans s ON s.id = o.last_scan"
            " LEFT JOIN targets t ON t.id = s.target_id"
            f"{where} ORDER BY o.first_scan, o.rowid"
        )
        wanted = self._target_path(target) if target is not None else None
        secrets: dict[str, str] = {}
        out = []
        for row in self._conn.execute(sql, args):
            (fid, rule, kind, prov, line, user, hosts, ports, db, params, sev, cid, fp, blob,
             cwd, scanned) = row
            if cid not in secrets:
                secrets[cid] = self._decrypt(blob, cid)
            provenance = codec.provenance_from_json(prov)
            if anchored:
                provenance = codec.anchored(provenance, cwd, scanned, wanted)
            out.append(
                Finding(
                    id=FindingId(fid),
                    rule=RuleId(rule),
                    kind=SecretKind(kind),
                    provenance=provenance,
                    line=int(line),
                    secret=secrets[cid],
                    fingerprint=fp,
                    user=codec.load_text(user),
                    hosts=codec.load_tuple(hosts),
                    ports=codec.load_tuple(ports),
                    database=codec.load_text(db),
                    params=codec.load_params(params),
                    severity=Severity(int(sev)),
                    credential=CredentialId(cid),
                )
            )
        return out

    def _decrypt(self, blob: bytes | None, cid: str) -> str:
        if blob is None or self._key is None:
            return ""
        return self._key.decrypt(bytes(blob), cid) or ""

    def credentials(
        self, repo_key: str | None = None, *, target: int | None = None
    ) -> list[Credential]:
        """Credentials (of one scope or target), highest severity first, each with its
        recorded occurrences' ids."""
        where, args = _scope_filter(repo_key, target)
        occ_sql = "SELECT o.id, o.credential_id, o.severity, o.seen_at FROM occurrences o" + where
        occ: dict[str, list[tuple[str, int, str | None]]] = {}
        for fid, cid, sev, seen in self._conn.execute(occ_sql + " ORDER BY o.rowid", args):
            occ.setdefault(cid, []).append((fid, int(sev), seen))
        out = []
        rows = self._conn.execute(
            "SELECT id, username, hosts, dbname, kind, fingerprint, redacted FROM credentials"
        )
        for cid, user, hosts, db, kind, fp, redacted in rows:
            items = occ.get(cid)
            if not items:
                continue
            times = sorted(t for _, _, t in items if t)
            out.append(
                Credential(
                    id=CredentialId(cid),
                    user=codec.load_text(user),
                    hosts=codec.load_tuple(hosts),
                    database=codec.load_text(db),
                    kind=SecretKind(kind),
                    severity=Severity(max(s for _, s, _ in items)),
                    fingerprint=fp,
                    redacted=codec.load_text(redacted) or "",
                    findings=tuple(FindingId(f) for f, _, _ in items),
                    first_seen=times[0] if times else None,
                    last_seen=times[-1] if times else None,
                )
            )
        out.sort(key=lambda c: (-c.severity, c.first_seen or "", c.id))
        return out

    def resolve_credential_id(self, text: str, target: int | None = None) -> str:
        """The credential `text` names: its id, the id of one of its findings, or a prefix
        that only one credential's id (or only its findings' ids) starts with.

        With `target`, only credentials seen in that target count. An ambiguous prefix is
        an error that lists the candidates' credential ids.
        """
        text = text.strip()
        if not text:
            raise StoreError("empty credential id")
        where, args = _scope_filter(None, target)
        rows = self._conn.execute(
            "SELECT DISTINCT o.credential_id FROM occurrences o"
            f"{where}{' AND' if where else ' WHERE'}"
            " (substr(o.credential_id, 1, ?) = ? OR substr(o.id, 1, ?) = ?)"
            " ORDER BY o.credential_id LIMIT 11",
            (*args, len(text), text, len(text), text),
        ).fetchall()
        ids = [str(r[0]) for r in rows]
        scope = "" if target is None else f" of target {self._target_path(target)}"
        if not ids:
            raise StoreError(f"no credential {text}{scope} in {self.path}")
        if len(ids) > 1:
            shown = ", ".join(ids[:10]) + (", …" if len(ids) > 10 else "")
            raise StoreError(f"credential id {text} is ambiguous{scope}: {shown}")
        return ids[0]

    # ------------------------------------------------------------------ targets
    def targets(self) -> list[TargetInfo]:
        """Every target scans were recorded for, oldest first, with what each holds."""
        rows = self._conn.execute(
            "SELECT t.id, t.path, t.kind,"
            " (SELECT COUNT(*) FROM scans s WHERE s.target_id = t.id),"
            " (SELECT COUNT(DISTINCT o.credential_id) FROM occurrence_repos r"
            "  JOIN occurrences o ON o.id = r.occurrence_id WHERE r.target_id = t.id),"
            " (SELECT COUNT(DISTINCT r.occurrence_id) FROM occurrence_repos r"
            "  WHERE r.target_id = t.id),"
            " (SELECT MAX(s.started_at) FROM scans s WHERE s.target_id = t.id)"
            " FROM targets t ORDER BY t.id"
        )
        return [TargetInfo(*row) for row in rows]

    def resolve_target(self, text: str) -> TargetInfo:
        """The target `text` names: its number in `targets()`, or its path (resolved as a
        scan resolves it, so `.` names the current folder)."""
        text = text.strip()
        known = self.targets()
        by_id = {str(t.id): t for t in known}
        by_path = {t.path: t for t in known}
        found = by_id.get(text.removeprefix("#")) or by_path.get(text)
        if found is None and text:
            found = by_path.get(repo_key_for(text))
        if found is None:
            raise StoreError(
                f"no target {text!r} in {self.path} (`pgsweep targets` lists them)")
        return found

    def _target_path(self, target: int) -> str:
        row = self._conn.execute("SELECT path FROM targets WHERE id = ?", (target,)).fetchone()
        if row is None:
            raise StoreError(f"no target #{target} in {self.path}")
        return str(row[0])

    def forget_target(self, target: int) -> ForgetResult:
        """Remove a target and what only it had seen: its occurrences, credentials seen
        nowhere else (with their triage and verifications) and its remembered tips.

        Credentials also seen in another target stay, with their triage. Scans of the
        target that remaining rows still refer to stay as anonymous entries.
        """
        info = next((t for t in self.targets() if t.id == target), None)
        if info is None:
            raise StoreError(f"no target #{target} in {self.path}")
        conn = self._conn
        with self._transaction():
            occ = [r[0] for r in conn.execute(
                "SELECT DISTINCT occurrence_id FROM occurrence_repos WHERE target_id = ?",
                (target,))]
            scopes = [r[0] for r in conn.execute(
                "SELECT repo_key FROM occurrence_repos WHERE target_id = ?"
                " UNION SELECT repo_key FROM scans WHERE target_id = ? AND repo_key IS NOT NULL",
                (target, target))]
            conn.execute("DELETE FROM occurrence_repos WHERE target_id = ?", (target,))
            for batch in _batches(scopes):
                marks = ",".join("?" * len(batch))
                conn.execute(f"DELETE FROM scanned_tips WHERE repo_key IN ({marks})", batch)
            gone_occ: list[str] = []
            for batch in _batches(occ):
                marks = ",".join("?" * len(batch))
                gone_occ.extend(r[0] for r in conn.execute(
                    f"SELECT id FROM occurrences WHERE id IN ({marks}) AND NOT EXISTS"
                    " (SELECT 1 FROM occurrence_repos r WHERE r.occurrence_id = occurrences.id)",
                    batch))
            creds: set[str] = set()
            for batch in _batches(gone_occ):
                marks = ",".join("?" * len(batch))
                creds.update(r[0] for r in conn.execute(
                    f"SELECT DISTINCT credential_id FROM occurrences WHERE id IN ({marks})",
                    batch))
                conn.execute(f"DELETE FROM occurrences WHERE id IN ({marks})", batch)
            gone_creds: list[str] = []
            for batch in _batches(sorted(creds)):
                marks = ",".join("?" * len(batch))
                gone_creds.extend(r[0] for r in conn.execute(
                    f"SELECT id FROM credentials WHERE id IN ({marks}) AND NOT EXISTS"
                    " (SELECT 1 FROM occurrences o WHERE o.credential_id = credentials.id)",
                    batch))
            for batch in _batches(gone_creds):
                marks = ",".join("?" * len(batch))
                for table in ("triage", "verifications"):
                    conn.execute(f"DELETE FROM {table} WHERE credential_id IN ({marks})", batch)
                conn.execute(f"DELETE FROM credentials WHERE id IN ({marks})", batch)
            conn.execute(
                "DELETE FROM scans WHERE target_id = ?"
                " AND NOT EXISTS (SELECT 1 FROM credentials c"
                "  WHERE c.first_scan = scans.id OR c.last_scan = scans.id)"
                " AND NOT EXISTS (SELECT 1 FROM occurrences o"
                "  WHERE o.first_scan = scans.id OR o.last_scan = scans.id)",
                (target,),
            )
            conn.execute(
                "UPDATE scans SET target = '', repo_key = NULL, target_id = NULL, cwd = NULL,"
                " stats = '{}' WHERE target_id = ?",
                (target,),
            )
            conn.execute("DELETE FROM targets WHERE id = ?", (target,))
        return ForgetResult(info, len(gone_creds), len(gone_occ))

    def secret_matches(self, credential_id: str, secret: str) -> bool:
        """Whether `secret` is the credential's secret (keyed hash; works without plaintext)."""
        key = self._require_key("compare secrets")
        row = self._conn.execute(
            "SELECT secret_hash FROM credentials WHERE id = ?", (credential_id,)
        ).fetchone()
        return row is not None and row[0] == key.keyed_hash(secret)

    # ------------------------------------------------------------------ triage
    def triage(self, credential_id: str, status: str | None, note: str | None) -> None:
        """Set a credential's status (open, false-positive, rotated or accepted) and note.

        `status=None` keeps the current status and only sets the note.
        """
        if status is None:
            row = self._conn.execute(
                "SELECT status FROM triage WHERE credential_id = ?", (credential_id,)
            ).fetchone()
            status = str(row[0]) if row else "open"
        if status not in TRIAGE_STATUSES:
            raise StoreError(f"unknown triage status {status!r} "
                             f"(choose from {', '.join(TRIAGE_STATUSES)})")
        self._require_credential(credential_id)
        if note and self._holds_secret(credential_id, note):
            raise StoreError("the note contains the credential's secret; not stored")
        with self._transaction():
            self._set_triage(credential_id, status, note, _now())

    def _holds_secret(self, cid: str, text: str) -> bool:
        """Whether `text` contains the credential's secret. Without the plaintext (a store
        of hashes only) every stretch of `text` as long as the secret is compared by keyed
        hash; the length comes from the redacted preview."""
        key = self._require_key("check the note for the credential's secret")
        secret = self._stored_secret(cid)
        if secret:
            return secret in text
        row = self._conn.execute(
            "SELECT secret_hash, redacted FROM credentials WHERE id = ?", (cid,)).fetchone()
        n = secret_length(codec.load_text(row[1]) or "") if row else None
        if not n:
            return False
        return any(key.keyed_hash(text[i : i + n]) == row[0] for i in range(len(text) - n + 1))

    def _set_triage(self, cid: str, status: str, note: str | None, at: str) -> None:
        self._conn.execute(
            "INSERT INTO triage (credential_id, status, note, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (credential_id) DO UPDATE SET status = excluded.status,"
            " note = excluded.note, updated_at = excluded.updated_at",
            (cid, status, codec.dump_text(note), at),
        )

    def _triage_rows(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        out: dict[str, tuple[str, str | None]] = {}
        for batch in _batches(sorted(ids)):
            marks = ",".join("?" * len(batch))
            rows = self._conn.execute(
                f"SELECT credential_id, status, note FROM triage WHERE credential_id IN ({marks})",
                batch,
            )
            out.update((cid, (status, codec.load_text(note))) for cid, status, note in rows)
        return out

    def triage_states(self) -> dict[str, TriageState]:
        """Every credential's state; untriaged ones are `open` since they were first recorded."""
        rows = self._conn.execute(
            "SELECT c.id, t.status, t.note, t.updated_at, s.started_at FROM credentials c"
            " LEFT JOIN triage t ON t.credential_id = c.id"
            " LEFT JOIN scans s ON s.id = c.first_scan"
        )
        return {
            cid: TriageState(status=status or "open", note=codec.load_text(note),
                             updated_at=updated or first)
            for cid, status, note, updated, first in rows
        }

    # ------------------------------------------------------------------ verification
    def record_verification(
        self, credential_id: str, method: str, status: str, detail: dict[str, Any]
    ) -> None:
        """Append one verification result; `detail` must not hold the secret (refused if so)."""
        self._require_credential(credential_id)
        text = json.dumps(detail, sort_keys=True, default=str, ensure_ascii=False)
        secret = self._stored_secret(credential_id)
        if secret and secret in text:
            raise StoreError("verification detail contains the credential's secret; not stored")
        with self._transaction():
            self._conn.execute(
                "INSERT INTO verifications (credential_id, method, status, detail, checked_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (credential_id, method, status, text, _now()),
            )

    def _stored_secret(self, cid: str) -> str:
        row = self._conn.execute("SELECT secret FROM credentials WHERE id = ?", (cid,)).fetchone()
        return self._decrypt(row[0], cid) if row else ""

    def verifications(self) -> dict[str, list[VerificationRecord]]:
        """Per credential, its verifications oldest first."""
        out: dict[str, list[VerificationRecord]] = {}
        rows = self._conn.execute(
            "SELECT credential_id, method, status, detail, checked_at"
            " FROM verifications ORDER BY id"
        )
        for cid, method, status, detail, at in rows:
            out.setdefault(cid, []).append(
                VerificationRecord(cid, method, status, json.loads(detail), at)
            )
        return out

    # ------------------------------------------------------------------ scan health
    def begin_scan(self, repo_key: str) -> None:
        """Note that a scan of `repo_key` has started; `record_scan` clears the note, so
        one still there later is a scan that was interrupted."""
        with self._transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (codec.dump_text(_RUNNING + repo_key), _now()))

    def scan_problems(self) -> list[str]:
        """Why the store may not hold everything: scans that were interrupted, and scope by
        scope, a last recorded scan that was incomplete (empty: every last scan was
        complete)."""
        problems = [
            f"the scan of {key[len(_RUNNING):]} started {at} was interrupted"
            for key, at in self._conn.execute(
                "SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key",
                (_RUNNING, _RUNNING[:-1] + chr(ord(_RUNNING[-1]) + 1)))
        ]
        rows = self._conn.execute(
            "SELECT s.repo_key, s.started_at, s.stats FROM scans s JOIN"
            " (SELECT repo_key, MAX(id) AS id FROM scans GROUP BY repo_key) last"
            " ON last.id = s.id ORDER BY s.repo_key"
        )
        for repo_key, at, stats in rows:
            try:
                why = json.loads(stats).get("incomplete") or []
            except (ValueError, AttributeError):
                why = []
            if why:
                more = f" and {len(why) - 1} more" if len(why) > 1 else ""
                problems.append(
                    f"the last scan of {repo_key} ({at}) was incomplete: {why[0]}{more}")
        return problems

    def has_scans(self) -> bool:
        """Whether any scan was ever recorded here."""
        return self._conn.execute("SELECT 1 FROM scans LIMIT 1").fetchone() is not None

    # ------------------------------------------------------------------ incremental scans
    def scanned_tips(self, repo_key: str, signature_version: str) -> list[str]:
        """Commit ids whose whole history was scanned with this signature-set version."""
        rows = self._conn.execute(
            "SELECT tip FROM scanned_tips WHERE repo_key = ? AND scan_version = ? ORDER BY tip",
            (repo_key, signature_version),
        )
        return [r[0] for r in rows]

    def remember_tips(self, repo_key: str, signature_version: str, tips: list[str]) -> None:
        """Replace the remembered tips of (repository, version) with `tips`."""
        now = _now()
        with self._transaction():
            self._conn.execute(
                "DELETE FROM scanned_tips WHERE repo_key = ? AND scan_version = ?",
                (repo_key, signature_version),
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO scanned_tips (repo_key, scan_version, tip, recorded_at)"
                " VALUES (?, ?, ?, ?)",
                [(repo_key, signature_version, t, now) for t in tips],
            )

    # ------------------------------------------------------------------ helpers
    def _require_credential(self, cid: str) -> None:
        row = self._conn.execute("SELECT 1 FROM credentials WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise StoreError(f"no credential {cid} in {self.path}")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn, self._lock, self.path)


class _Probe(Exception):
    """Rolls back the write `ensure_writable` tries."""


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception; one thread at a time.

    A failure of SQLite itself (a read-only or damaged file, a full disk) becomes one
    StoreError naming the store.
    """

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock, path: Path) -> None:
        self._conn = conn
        self._lock = lock
        self._path = path

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._lock.release()
            raise _store_error(self._path, exc) from None
        except BaseException:
            self._lock.release()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self._conn.execute("COMMIT")
            elif self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as failure:
            if exc is None or isinstance(exc, sqlite3.Error):
                raise _store_error(self._path, failure) from None
        finally:
            self._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise _store_error(self._path, exc) from None


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """`exc` as one line naming the store (SQLite's messages quote no row data)."""
    return StoreError(f"{path}: cannot write the findings store ({exc})")


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """A damaged store is refused when opened, not found out when a scan is recorded."""
    rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    if [tuple(r) for r in rows] != [("ok",)]:
        raise StoreError(
            f"{path}: the findings store is damaged (SQLite quick_check failed); "
            "restore it from a copy or remove it")


def _scope_filter(repo_key: str | None, target: int | None) -> tuple[str, tuple[object, ...]]:
    """A WHERE clause on occurrences `o`: seen in the scope `repo_key` and/or `target`."""
    conds: list[str] = []
    args: list[object] = []
    if repo_key is not None:
        conds.append("EXISTS (SELECT 1 FROM occurrence_repos r"
                     " WHERE r.occurrence_id = o.id AND r.repo_key = ?)")
        args.append(codec.dump_text(repo_key))
    if target is not None:
        conds.append("EXISTS (SELECT 1 FROM occurrence_repos r"
                     " WHERE r.occurrence_id = o.id AND r.target_id = ?)")
        args.append(target)
    return (" WHERE " + " AND ".join(conds) if conds else ""), tuple(args)


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _create_private_file(path: Path) -> None:
    """An empty 0600 file (in a 0700 dir when we create it): the store lists hosts and users."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):  # created meanwhile by another pgsweep
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store ({exc.strerror or exc})") from None

