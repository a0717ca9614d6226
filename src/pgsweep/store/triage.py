"""Triage: a person's decision about each credential, kept across scans."""

from __future__ import annotations

from collections.abc import Sequence

from pgsweep.findings.fingerprint import secret_length
from pgsweep.store.access import Access, batches, marks, now
from pgsweep.store.errors import StoreError
from pgsweep.store.records import TriageState
from pgsweep.store.schema import TRIAGE_STATUSES


def triage(a: Access, credential_id: str, status: str | None, note: str | None) -> None:
    """Set a credential's status (open, false-positive, rotated or accepted) and note.

    `status=None` keeps the current status and only sets the note.
    """
    if status is None:
        row = a.db.execute(
            "SELECT status FROM triage WHERE credential_id = ?", (credential_id,)
        ).fetchone()
        status = str(row[0]) if row else "open"
    if status not in TRIAGE_STATUSES:
        raise StoreError(f"unknown triage status {status!r} "
                         f"(choose from {', '.join(TRIAGE_STATUSES)})")
    a.require_credential(credential_id)
    if note and holds_secret(a, credential_id, note):
        raise StoreError("the note contains the credential's secret; not stored")
    with a.db.transaction():
        set_triage(a, credential_id, status, note, now())


def holds_secret(a: Access, cid: str, text: str) -> bool:
    """Whether `text` contains the credential's secret. Without the plaintext (a store
    of hashes only) every stretch of `text` as long as the secret is compared by keyed
    hash; the length comes from the redacted preview."""
    key = a.require_key("check the note for the credential's secret")
    secret = a.stored_secret(cid)
    if secret:
        return secret in text
    row = a.db.execute(
        "SELECT secret_hash, redacted FROM credentials WHERE id = ?", (cid,)).fetchone()
    n = secret_length(a.db.untext(row[1]) or "") if row else None
    if not n:
        return False
    return any(key.keyed_hash(text[i : i + n]) == row[0] for i in range(len(text) - n + 1))


def set_triage(a: Access, cid: str, status: str, note: str | None, at: str) -> None:
    """Write one credential's state (inside the caller's transaction)."""
    a.db.execute(
        "INSERT INTO triage (credential_id, status, note, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (credential_id) DO UPDATE SET status = excluded.status,"
        " note = excluded.note, updated_at = excluded.updated_at",
        (cid, status, a.db.text(note), at),
    )


def triage_rows(a: Access, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """Status and note of those of `ids` someone triaged."""
    out: dict[str, tuple[str, str | None]] = {}
    for batch in batches(sorted(ids)):
        rows = a.db.execute(
            "SELECT credential_id, status, note FROM triage"
            f" WHERE credential_id IN ({marks(batch)})",
            batch,
        )
        out.update((cid, (status, a.db.untext(note))) for cid, status, note in rows)
    return out


def triage_states(a: Access) -> dict[str, TriageState]:
    """Every credential's state; untriaged ones are `open` since they were first recorded."""
    rows = a.db.execute(
        "SELECT c.id, t.status, t.note, t.updated_at, s.started_at FROM credentials c"
        " LEFT JOIN triage t ON t.credential_id = c.id"
        " LEFT JOIN scans s ON s.id = c.first_scan"
    )
    return {
        cid: TriageState(status=status or "open", note=a.db.untext(note),
                         updated_at=updated or first)
        for cid, status, note, updated, first in rows
    }
