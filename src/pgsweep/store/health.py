"""Scan health: scans under way or interrupted, and last scans that were incomplete."""

from __future__ import annotations

import json

from pgsweep.core.display import printable
from pgsweep.store.access import Access, now

# A `meta` row per scan under way (key: this prefix and the scope): written when a scan
# starts, removed when it is recorded. One left behind is a scan that never finished.
RUNNING = "scan-running:"


def begin_scan(a: Access, repo_key: str) -> None:
    """Note that a scan of `repo_key` has started; recording it clears the note, so one
    still there later is a scan that was interrupted."""
    with a.db.transaction():
        a.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (a.db.text(RUNNING + repo_key), now()))


def end_scan(a: Access, repo_key: str) -> None:
    """Clear the note of `begin_scan` (inside the transaction that records the scan)."""
    a.db.execute("DELETE FROM meta WHERE key = ?", (a.db.text(RUNNING + repo_key),))


def scan_problems(a: Access) -> list[str]:
    """Why the store may not hold everything: scans that were interrupted, and scope by
    scope, a last recorded scan that was incomplete (empty: every last scan was complete).
    Scopes are named with their control characters escaped (a scanned name can hold any)."""
    running = sorted(
        (key, str(at)) for key, at in (
            (a.db.untext(k) or "", v) for k, v in a.db.execute("SELECT key, value FROM meta"))
        if key.startswith(RUNNING)
    )
    problems = [
        f"the scan of {printable(key[len(RUNNING):])} started {at} was interrupted"
        for key, at in running
    ]
    rows = a.db.execute(
        "SELECT s.repo_key, s.started_at, s.stats FROM scans s JOIN"
        " (SELECT repo_key, MAX(id) AS id FROM scans GROUP BY repo_key) last"
        " ON last.id = s.id"
    )
    last = sorted(((a.db.untext(k) or "", at, stats) for k, at, stats in rows),
                  key=lambda r: r[0])
    for repo_key, at, stats in last:
        try:
            why = json.loads(stats).get("incomplete") or []
        except (ValueError, AttributeError):
            why = []
        if why:
            more = f" and {len(why) - 1} more" if len(why) > 1 else ""
            problems.append(
                f"the last scan of {printable(repo_key)} ({at}) was incomplete: {why[0]}{more}")
    return problems


def has_scans(a: Access) -> bool:
    """Whether any scan was ever recorded here."""
    return a.db.execute("SELECT 1 FROM scans LIMIT 1").fetchone() is not None
