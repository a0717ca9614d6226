"""Targets: what scans were run on, and forgetting one with what only it had seen."""

from __future__ import annotations

from pathlib import Path

from pgsweep.store.access import Access, batches, marks
from pgsweep.store.errors import StoreError
from pgsweep.store.health import end_scan
from pgsweep.store.records import ForgetResult, TargetInfo


def repo_key_for(target: str) -> str:
    """What identifies a scan target across runs: its absolute path ("-" for stdin), or
    the URL (without credentials) of a remote repository."""
    return target if target == "-" or "://" in target else str(Path(target).resolve())


def scope_filter(
    a: Access, repo_key: str | None, target: int | None
) -> tuple[str, tuple[object, ...]]:
    """A WHERE clause on occurrences `o`: seen in the scope `repo_key` and/or `target`."""
    conds: list[str] = []
    args: list[object] = []
    if repo_key is not None:
        conds.append("EXISTS (SELECT 1 FROM occurrence_repos r"
                     " WHERE r.occurrence_id = o.id AND r.repo_key = ?)")
        args.append(a.db.text(repo_key))
    if target is not None:
        conds.append("EXISTS (SELECT 1 FROM occurrence_repos r"
                     " WHERE r.occurrence_id = o.id AND r.target_id = ?)")
        args.append(target)
    return (" WHERE " + " AND ".join(conds) if conds else ""), tuple(args)


def targets(a: Access) -> list[TargetInfo]:
    """Every target scans were recorded for, oldest first, with what each holds."""
    rows = a.db.execute(
        "SELECT t.id, t.path, t.kind,"
        " (SELECT COUNT(*) FROM scans s WHERE s.target_id = t.id),"
        " (SELECT COUNT(DISTINCT o.credential_id) FROM occurrence_repos r"
        "  JOIN occurrences o ON o.id = r.occurrence_id WHERE r.target_id = t.id),"
        " (SELECT COUNT(DISTINCT r.occurrence_id) FROM occurrence_repos r"
        "  WHERE r.target_id = t.id),"
        " (SELECT MAX(s.started_at) FROM scans s WHERE s.target_id = t.id)"
        " FROM targets t ORDER BY t.id"
    )
    return [
        TargetInfo(int(tid), a.db.untext(path) or "", kind, int(n_scans), int(n_creds),
                   int(n_occ), last)
        for tid, path, kind, n_scans, n_creds, n_occ, last in rows
    ]


def resolve_target(a: Access, text: str) -> TargetInfo:
    """The target `text` names: its number in `targets()`, or its path (resolved as a
    scan resolves it, so `.` names the current folder)."""
    text = text.strip()
    known = targets(a)
    by_id = {str(t.id): t for t in known}
    by_path = {t.path: t for t in known}
    found = by_id.get(text.removeprefix("#")) or by_path.get(text)
    if found is None and text:
        found = by_path.get(repo_key_for(text))
    if found is None:
        raise StoreError(
            f"no target {text!r} in {a.name} (`pgsweep targets` lists them)")
    return found


def target_path(a: Access, target: int) -> str:
    row = a.db.execute("SELECT path FROM targets WHERE id = ?", (target,)).fetchone()
    if row is None:
        raise StoreError(f"no target #{target} in {a.name}")
    return a.db.untext(row[0]) or ""


def forget_target(a: Access, target: int) -> ForgetResult:
    """Remove a target and what only it had seen: its occurrences, credentials seen
    nowhere else (with their triage and verifications) and its remembered tips.

    Credentials also seen in another target stay, with their triage. Scans of the
    target that remaining rows still refer to stay as anonymous entries. A scan of it that
    was interrupted is no longer reported.
    """
    info = next((t for t in targets(a) if t.id == target), None)
    if info is None:
        raise StoreError(f"no target #{target} in {a.name}")
    db = a.db
    with db.transaction():
        occ = [r[0] for r in db.execute(
            "SELECT DISTINCT occurrence_id FROM occurrence_repos WHERE target_id = ?",
            (target,))]
        scopes = [r[0] for r in db.execute(
            "SELECT repo_key FROM occurrence_repos WHERE target_id = ?"
            " UNION SELECT repo_key FROM scans WHERE target_id = ? AND repo_key IS NOT NULL",
            (target, target))]
        for scope in {info.path, *(a.db.untext(s) or "" for s in scopes)}:
            end_scan(a, scope)
        db.execute("DELETE FROM occurrence_repos WHERE target_id = ?", (target,))
        for batch in batches(scopes):
            db.execute(f"DELETE FROM scanned_tips WHERE repo_key IN ({marks(batch)})", batch)
        gone_occ: list[str] = []
        for batch in batches(occ):
            gone_occ.extend(r[0] for r in db.execute(
                f"SELECT id FROM occurrences WHERE id IN ({marks(batch)}) AND NOT EXISTS"
                " (SELECT 1 FROM occurrence_repos r WHERE r.occurrence_id = occurrences.id)",
                batch))
        creds: set[str] = set()
        for batch in batches(gone_occ):
            creds.update(r[0] for r in db.execute(
                f"SELECT DISTINCT credential_id FROM occurrences WHERE id IN ({marks(batch)})",
                batch))
            db.execute(f"DELETE FROM occurrences WHERE id IN ({marks(batch)})", batch)
        gone_creds: list[str] = []
        for batch in batches(sorted(creds)):
            gone_creds.extend(r[0] for r in db.execute(
                f"SELECT id FROM credentials WHERE id IN ({marks(batch)}) AND NOT EXISTS"
                " (SELECT 1 FROM occurrences o WHERE o.credential_id = credentials.id)",
                batch))
        for batch in batches(gone_creds):
            for table in ("triage", "verifications"):
                db.execute(f"DELETE FROM {table} WHERE credential_id IN ({marks(batch)})", batch)
            db.execute(f"DELETE FROM credentials WHERE id IN ({marks(batch)})", batch)
        db.execute(
            "DELETE FROM scans WHERE target_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM credentials c"
            "  WHERE c.first_scan = scans.id OR c.last_scan = scans.id)"
            " AND NOT EXISTS (SELECT 1 FROM occurrences o"
            "  WHERE o.first_scan = scans.id OR o.last_scan = scans.id)",
            (target,),
        )
        db.execute(
            "UPDATE scans SET target = '', repo_key = NULL, target_id = NULL, cwd = NULL,"
            " stats = '{}' WHERE target_id = ?",
            (target,),
        )
        db.execute("DELETE FROM targets WHERE id = ?", (target,))
    return ForgetResult(info, len(gone_creds), len(gone_occ))
