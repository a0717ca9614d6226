"""Incremental rescans: the commit ids whose whole history a repository's scans have read."""

from __future__ import annotations

from pgsweep.store.access import Access, now


def scanned_tips(a: Access, repo_key: str, signature_version: str) -> list[str]:
    """Commit ids whose whole history was scanned with this signature-set version."""
    rows = a.db.execute(
        "SELECT tip FROM scanned_tips WHERE repo_key = ? AND scan_version = ?",
        (repo_key, signature_version),
    )
    return sorted(str(r[0]) for r in rows)


def remember_tips(a: Access, repo_key: str, signature_version: str, tips: list[str]) -> None:
    """Replace the remembered tips of (repository, version) with `tips`."""
    at = now()
    with a.db.transaction():
        a.db.execute(
            "DELETE FROM scanned_tips WHERE repo_key = ? AND scan_version = ?",
            (repo_key, signature_version),
        )
        a.db.executemany(
            "INSERT INTO scanned_tips (repo_key, scan_version, tip, recorded_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(repo_key, signature_version, t, at) for t in tips],
        )
