"""An open store: its database, its key, and the checks every store operation shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from pgsweep.store.backend import Database
from pgsweep.store.errors import StoreError
from pgsweep.store.keys import StoreKey

BATCH = 500  # ids per `IN (…)` list


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), BATCH):
        yield items[i : i + BATCH]


def marks(batch: Sequence[object]) -> str:
    """`?, ?, …`: one placeholder per value of an `IN (…)` list."""
    return ",".join("?" * len(batch))


class Access:
    """The database with the key this process holds for it (None: secrets stay locked)."""

    def __init__(
        self, db: Database, key: StoreKey | None, locked_reason: str | None,
        store_secrets: bool,
    ) -> None:
        self.db = db
        self.key = key
        self.locked_reason = locked_reason
        self.store_secrets = store_secrets

    @property
    def name(self) -> str:
        """The store as messages name it: its file, or its URL without the password."""
        return self.db.name

    def require_key(self, action: str) -> StoreKey:
        if self.key is None:
            raise StoreError(f"{self.name}: cannot {action}: {self.locked_reason}")
        return self.key

    def decrypt(self, blob: bytes | None, cid: str) -> str:
        """The credential's secret, or "" without it (hashes only, or no key)."""
        if blob is None or self.key is None:
            return ""
        return self.key.decrypt(bytes(blob), cid) or ""

    def stored_secret(self, cid: str) -> str:
        row = self.db.execute("SELECT secret FROM credentials WHERE id = ?", (cid,)).fetchone()
        return self.decrypt(row[0], cid) if row else ""

    def require_credential(self, cid: str) -> None:
        row = self.db.execute("SELECT 1 FROM credentials WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise StoreError(f"no credential {cid} in {self.name}")

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])
