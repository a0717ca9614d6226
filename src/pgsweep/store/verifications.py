"""Verifications: whether each credential still worked when it was checked, and how."""

from __future__ import annotations

import json
from typing import Any

from pgsweep.store.access import Access, now
from pgsweep.store.errors import StoreError
from pgsweep.store.records import VerificationRecord


def record_verification(
    a: Access, credential_id: str, method: str, status: str, detail: dict[str, Any]
) -> None:
    """Append one verification result; `detail` must not hold the secret (refused if so)."""
    a.require_credential(credential_id)
    text = json.dumps(detail, sort_keys=True, default=str, ensure_ascii=False)
    secret = a.stored_secret(credential_id)
    if secret and secret in text:
        raise StoreError("verification detail contains the credential's secret; not stored")
    with a.db.transaction():
        a.db.execute(
            "INSERT INTO verifications (credential_id, method, status, detail, checked_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (credential_id, method, status, text, now()),
        )


def verifications(a: Access) -> dict[str, list[VerificationRecord]]:
    """Per credential, its verifications oldest first."""
    out: dict[str, list[VerificationRecord]] = {}
    rows = a.db.execute(
        "SELECT credential_id, method, status, detail, checked_at"
        " FROM verifications ORDER BY id"
    )
    for cid, method, status, detail, at in rows:
        out.setdefault(cid, []).append(
            VerificationRecord(cid, method, status, json.loads(detail), at)
        )
    return out
