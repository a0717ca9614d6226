"""The store's schema as an ordered list of migrations, and the code that applies them.

Statements are written in SQLite's dialect; a PostgreSQL store runs the same list
(`pgsweep.store.postgres_db` adapts the spellings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pgsweep.store.backend import Database
from pgsweep.store.codec import place_key, provenance_from_json
from pgsweep.store.errors import SchemaError

TRIAGE_STATUSES = ("open", "false-positive", "rotated", "accepted")
# A partial look at a repository (--since, --staged…) records under this scope suffix.
PARTIAL_SUFFIX = "#partial"


@dataclass(frozen=True)
class Migration:
    """Moves a store from `version - 1` to `version`, inside one transaction."""

    version: int
    description: str
    statements: tuple[str, ...] = ()
    run: Callable[[Database], None] | None = None


_STATUS_CHECK = ", ".join(f"'{s}'" for s in TRIAGE_STATUSES)

V1 = Migration(
    1,
    "credentials, occurrences, triage, verifications",
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            target TEXT NOT NULL,
            started_at TEXT NOT NULL,
            pgsweep_version TEXT NOT NULL,
            stats TEXT NOT NULL
        )""",
        """CREATE TABLE credentials (
            id TEXT PRIMARY KEY,
            username TEXT,
            hosts TEXT NOT NULL,
            dbname TEXT,
            kind TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            secret BLOB,
            redacted TEXT NOT NULL,
            first_scan INTEGER NOT NULL REFERENCES scans(id),
            last_scan INTEGER NOT NULL REFERENCES scans(id)
        )""",
        """CREATE TABLE occurrences (
            id TEXT PRIMARY KEY,
            credential_id TEXT NOT NULL REFERENCES credentials(id),
            rule TEXT NOT NULL,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            provenance TEXT NOT NULL,
            line INTEGER NOT NULL,
            username TEXT,
            hosts TEXT NOT NULL,
            ports TEXT NOT NULL,
            dbname TEXT,
            params TEXT NOT NULL,
            severity INTEGER NOT NULL,
            seen_at TEXT,
            first_scan INTEGER NOT NULL REFERENCES scans(id),
            last_scan INTEGER NOT NULL REFERENCES scans(id)
        )""",
        "CREATE INDEX occurrences_by_credential ON occurrences(credential_id)",
        f"""CREATE TABLE triage (
            credential_id TEXT PRIMARY KEY REFERENCES credentials(id),
            status TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),
            note TEXT,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE verifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            credential_id TEXT NOT NULL REFERENCES credentials(id),
            method TEXT NOT NULL,
            status TEXT NOT NULL,
            detail TEXT NOT NULL,
            checked_at TEXT NOT NULL
        )""",
        "CREATE INDEX verifications_by_credential ON verifications(credential_id)",
    ),
)

def _backfill_places(conn: Database) -> None:
    """v1 rows get the place key v2 compares to tell a new place from a known one."""
    rows = conn.execute("SELECT id, provenance, line FROM occurrences").fetchall()
    conn.executemany(
        "UPDATE occurrences SET place = ? WHERE id = ?",
        [(place_key(provenance_from_json(prov), int(line)), oid) for oid, prov, line in rows],
    )


V2 = Migration(
    2,
    "incremental rescans and places: scope of each scan and occurrence, scanned ref tips",
    (
        "ALTER TABLE occurrences ADD COLUMN place TEXT",
        "CREATE INDEX occurrences_by_place ON occurrences(credential_id, place)",
        "ALTER TABLE scans ADD COLUMN repo_key TEXT",
        "ALTER TABLE scans ADD COLUMN scan_version TEXT",
        "UPDATE scans SET repo_key = target",
        """CREATE TABLE occurrence_repos (
            repo_key TEXT NOT NULL,
            occurrence_id TEXT NOT NULL REFERENCES occurrences(id),
            PRIMARY KEY (repo_key, occurrence_id)
        ) WITHOUT ROWID""",
        """INSERT OR IGNORE INTO occurrence_repos (repo_key, occurrence_id)
           SELECT s.repo_key, o.id FROM occurrences o JOIN scans s ON s.id = o.first_scan""",
        """CREATE TABLE scanned_tips (
            repo_key TEXT NOT NULL,
            scan_version TEXT NOT NULL,
            tip TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (repo_key, scan_version, tip)
        ) WITHOUT ROWID""",
    ),
    run=_backfill_places,
)

def _backfill_targets(conn: Database) -> None:
    """v2 scopes become targets: `PATH` and `PATH#partial` are both the target PATH."""
    scopes = [r[0] for r in conn.execute(
        "SELECT repo_key FROM scans WHERE repo_key IS NOT NULL GROUP BY repo_key ORDER BY MIN(id)"
    )]
    ids: dict[str, int] = {}
    for scope in scopes:
        path = scope.removesuffix(PARTIAL_SUFFIX)
        if path not in ids:
            git = scope.endswith(PARTIAL_SUFFIX) or conn.execute(
                "SELECT 1 FROM occurrence_repos r JOIN occurrences o ON o.id = r.occurrence_id"
                " WHERE r.repo_key IN (?, ?) AND o.source = 'git' LIMIT 1",
                (path, path + PARTIAL_SUFFIX),
            ).fetchone() is not None
            kind = "stdin" if path == "-" else ("git" if git else "path")
            ids[path] = conn.insert("INSERT INTO targets (path, kind) VALUES (?, ?)", (path, kind))
        conn.execute("UPDATE scans SET target_id = ? WHERE repo_key = ?", (ids[path], scope))
        conn.execute(
            "UPDATE occurrence_repos SET target_id = ? WHERE repo_key = ?", (ids[path], scope))


V3 = Migration(
    3,
    "targets: what each scan was run on, and which target each occurrence was seen in",
    (
        """CREATE TABLE targets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL
        )""",
        "ALTER TABLE scans ADD COLUMN target_id INTEGER REFERENCES targets(id)",
        "ALTER TABLE scans ADD COLUMN cwd TEXT",
        "ALTER TABLE occurrence_repos ADD COLUMN target_id INTEGER REFERENCES targets(id)",
        "CREATE INDEX occurrence_repos_by_target ON occurrence_repos(target_id, occurrence_id)",
    ),
    run=_backfill_targets,
)

def _number_occurrences(conn: Database) -> None:
    """Occurrences recorded so far keep their order: SQLite's row ids."""
    if conn.dialect == "sqlite":
        conn.execute("UPDATE occurrences SET seq = rowid")


V4 = Migration(
    4,
    "occurrences numbered in the order they were recorded, on every database engine",
    (
        "ALTER TABLE occurrences ADD COLUMN seq INTEGER",
        "CREATE INDEX occurrences_by_seq ON occurrences(seq)",
    ),
    run=_number_occurrences,
)

MIGRATIONS: tuple[Migration, ...] = (V1, V2, V3, V4)
SCHEMA_VERSION = MIGRATIONS[-1].version


def current_version(conn: Database) -> int:
    """0 for an empty database; the recorded version of a store; SchemaError otherwise."""
    tables = conn.table_names()
    if not tables:
        return 0
    if "meta" not in tables:
        raise SchemaError(f"{conn.name}: not a pgsweep store (no meta table)")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise SchemaError(f"{conn.name}: not a pgsweep store (no schema_version)")
    return int(row[0])


def migrate(conn: Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply every migration newer than the store, each in its own write transaction (so
    two pgsweeps opening a new store at once apply each migration once)."""
    target = migrations[-1].version
    version = current_version(conn)
    if version > target:
        raise SchemaError(
            f"{conn.name}: store schema version {version} is newer than this pgsweep "
            f"supports ({target}); upgrade pgsweep"
        )
    for m in migrations:
        if m.version <= version:
            continue
        with conn.transaction():
            version = current_version(conn)  # another process may have moved it meanwhile
            if m.version <= version:
                continue
            for sql in m.statements:
                conn.execute(sql)
            if m.run is not None:
                m.run(conn)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(m.version),),
            )
            version = m.version
    return version
