"""The Store: open a findings store (a SQLite file or a PostgreSQL URL) and work on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import platformdirs

from pgsweep.core.models import Credential, Finding
from pgsweep.store import health, reading, recording, targets, tips, triage, verifications
from pgsweep.store.access import Access, now
from pgsweep.store.backend import Database, StoreLocation, is_url
from pgsweep.store.keys import StoreKey, load_key
from pgsweep.store.postgres_db import PostgresDatabase
from pgsweep.store.records import ForgetResult, TargetInfo, TriageState, VerificationRecord
from pgsweep.store.schema import migrate
from pgsweep.store.sealed import SealedSecret
from pgsweep.store.sqlite_db import SqliteDatabase

if TYPE_CHECKING:
    from pgsweep.findings.pipeline import ScanResult

STORE_FILE_NAME = "store.db"


def default_store_path() -> Path:
    """`store.db` in the user's data dir (XDG_DATA_HOME/pgsweep on Linux)."""
    return Path(platformdirs.user_data_dir("pgsweep")) / STORE_FILE_NAME


def open_database(location: StoreLocation | None, *, create: bool) -> Database:
    """The database `location` names: a postgresql:// URL, else a SQLite file (default:
    the user's)."""
    if is_url(location):
        return PostgresDatabase.open(str(location))
    path = Path(location) if location is not None else default_store_path()
    return SqliteDatabase.open(path, create=create)


class Store:
    """Open with `Store.open()`; use as a context manager or call `close()`."""

    def __init__(self, access: Access, path: Path | None) -> None:
        self._a = access
        self.path = path  # the SQLite file; None for a PostgreSQL store
        self.store_secrets = access.store_secrets

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(
        cls,
        location: StoreLocation | None = None,
        *,
        store_secrets: bool = True,
        create: bool = True,
        key_path: Path | None = None,
    ) -> Store:
        """Open (creating and migrating as needed) the store at `location` or the default one.

        The key comes from $PGSWEEP_STORE_KEY or the key file (`key_path`, default in the
        user's config dir), created on first use. Without the right key the store opens
        read-only for secrets: findings carry `secret == ""` and `record_scan` refuses.
        """
        db = open_database(location, create=create)
        try:
            migrate(db)
            if isinstance(db, SqliteDatabase):
                db.check()
            access = _with_key(db, key_path, store_secrets)
        except BaseException:
            db.close()
            raise
        return cls(access, db.path if isinstance(db, SqliteDatabase) else None)

    def close(self) -> None:
        self._a.db.close()

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
    def location(self) -> str:
        """The store as messages name it: its file, or its URL without the password."""
        return self._a.name

    @property
    def secrets_available(self) -> bool:
        """True when this process holds the key the store's secrets were written with."""
        return self._a.key is not None

    @property
    def schema_version(self) -> int:
        return int(self._a.meta("schema_version") or 0)

    def ensure_writable(self) -> None:
        """Raise StoreError now, before a long scan, if `record_scan` would refuse or fail:
        no key, or a store (or its folder, for the journal) that cannot be written."""
        self._a.require_key("record a scan")
        try:
            with self._a.db.transaction():
                # A write rolled back: the database takes its write lock and journal.
                self._a.db.execute(
                    "INSERT INTO meta (key, value) VALUES ('write_check', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (now(),))
                raise _Probe
        except _Probe:
            pass

    def sealing_key(self) -> StoreKey:
        """The key secrets are sealed with before they cross to this store from a worker."""
        return self._a.require_key("seal secrets")

    # ------------------------------------------------------------------ scans
    def record_scan(
        self, result: ScanResult, target: str, *, repo_key: str | None = None,
        scan_version: str | None = None, target_kind: str = "path",
        sealed: Mapping[str, SealedSecret] | None = None,
    ) -> int:
        """See `pgsweep.store.recording.record_scan`."""
        return recording.record_scan(
            self._a, result, target, repo_key=repo_key, scan_version=scan_version,
            target_kind=target_kind, sealed=sealed)

    def begin_scan(self, repo_key: str) -> None:
        health.begin_scan(self._a, repo_key)

    def abandon_scan(self, repo_key: str) -> None:
        """Clear `begin_scan`'s note for a scan that failed with an error the user saw (a
        missing path, an unknown revision): it records nothing and was not interrupted."""
        with self._a.db.transaction():
            health.end_scan(self._a, repo_key)

    def scan_problems(self) -> list[str]:
        return health.scan_problems(self._a)

    def has_scans(self) -> bool:
        return health.has_scans(self._a)

    def scanned_tips(self, repo_key: str, signature_version: str) -> list[str]:
        return tips.scanned_tips(self._a, repo_key, signature_version)

    def remember_tips(self, repo_key: str, signature_version: str, tips_: list[str]) -> None:
        tips.remember_tips(self._a, repo_key, signature_version, tips_)

    # ------------------------------------------------------------------ reading
    def findings(
        self, repo_key: str | None = None, *, target: int | None = None, anchored: bool = False
    ) -> list[Finding]:
        """See `pgsweep.store.reading.findings`."""
        return reading.findings(self._a, repo_key, target=target, anchored=anchored)

    def credentials(
        self, repo_key: str | None = None, *, target: int | None = None
    ) -> list[Credential]:
        return reading.credentials(self._a, repo_key, target=target)

    def resolve_credential_id(self, text: str, target: int | None = None) -> str:
        return reading.resolve_credential_id(self._a, text, target)

    def secret_matches(self, credential_id: str, secret: str) -> bool:
        """Whether `secret` is the credential's secret (keyed hash; works without plaintext)."""
        key = self._a.require_key("compare secrets")
        row = self._a.db.execute(
            "SELECT secret_hash FROM credentials WHERE id = ?", (credential_id,)
        ).fetchone()
        return row is not None and row[0] == key.keyed_hash(secret)

    # ------------------------------------------------------------------ triage, verification
    def triage(self, credential_id: str, status: str | None, note: str | None) -> None:
        """See `pgsweep.store.triage.triage`."""
        triage.triage(self._a, credential_id, status, note)

    def triage_states(self) -> dict[str, TriageState]:
        return triage.triage_states(self._a)

    def record_verification(
        self, credential_id: str, method: str, status: str, detail: dict[str, Any]
    ) -> None:
        verifications.record_verification(self._a, credential_id, method, status, detail)

    def verifications(self) -> dict[str, list[VerificationRecord]]:
        return verifications.verifications(self._a)

    # ------------------------------------------------------------------ targets
    def targets(self) -> list[TargetInfo]:
        return targets.targets(self._a)

    def resolve_target(self, text: str) -> TargetInfo:
        return targets.resolve_target(self._a, text)

    def forget_target(self, target: int) -> ForgetResult:
        return targets.forget_target(self._a, target)


class _Probe(Exception):
    """Rolls back the write `ensure_writable` tries."""


def _with_key(db: Database, key_path: Path | None, store_secrets: bool) -> Access:
    """The store's key, checked against the one the store was first written with."""
    stored = _stored_key_id(db)
    key = load_key(create=stored is None, key_path=key_path)
    reason = None
    if key is None:
        reason = "no store key (set PGSWEEP_STORE_KEY or restore the key file)"
    else:
        if stored is None:
            with db.transaction():  # two first writers at once: the first one's key wins
                db.execute("INSERT INTO meta (key, value) VALUES ('key_id', ?)"
                           " ON CONFLICT (key) DO NOTHING", (key.key_id,))
            stored = _stored_key_id(db)
        if stored != key.key_id:
            reason = f"the store was written with a different key than {key.origin}"
            key = None
    return Access(db, key, reason, store_secrets)


def _stored_key_id(db: Database) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'key_id'").fetchone()
    return None if row is None else str(row[0])
