"""Store schema versions: a v1 store written by raw SQL migrates to the current schema."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pgsweep.core.models import FileProvenance, Severity
from pgsweep.store import SCHEMA_VERSION, SchemaError, Store, StoreError
from pgsweep.store.schema import MIGRATIONS, V1, V2, Migration, current_version, migrate
from pgsweep.store.sqlite_db import SqliteDatabase


def make_v1_store(path: Path) -> None:
    """What pgsweep with schema v1 wrote: one scan, one credential (no secret), one place."""
    conn = sqlite3.connect(path, isolation_level=None)
    for sql in V1.statements:
        conn.execute(sql)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute(
        "INSERT INTO scans (id, target, started_at, pgsweep_version, stats)"
        " VALUES (1, '/srv/app', '2026-01-02T03:04:05+00:00', '0.0.9', '{}')"
    )
    conn.execute(
        "INSERT INTO credentials VALUES ('c0123456789abcde', 'app', '[\"db.corp.net\"]', 'prod',"
        " 'password', 'f' || hex(randomblob(15)), 'h', NULL, 'Ab…yz (14 chars)', 1, 1)"
    )
    prov = {"kind": "file", "path": "/srv/app/.env", "reader": "text", "retired_field": 1}
    conn.execute(
        "INSERT INTO occurrences VALUES ('f0123456789abcde', 'c0123456789abcde', 'pg.uri.1',"
        " 'password', 'file', ?, 3, 'app', '[\"db.corp.net\"]', '[\"5432\"]', 'prod',"
        " '[[\"sslmode\", \"disable\"]]', 3, NULL, 1, 1)",
        (json.dumps(prov),),
    )
    conn.execute(
        "INSERT INTO triage VALUES ('c0123456789abcde', 'accepted', 'staging only',"
        " '2026-01-03T00:00:00+00:00')"
    )
    conn.close()


def test_a_v1_store_migrates_and_keeps_its_data(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    make_v1_store(db)
    with Store.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        [f] = store.findings(repo_key="/srv/app")  # occurrence_repos was backfilled
        assert f.provenance == FileProvenance(path="/srv/app/.env", reader="text")
        assert (f.line, f.user, f.hosts, f.ports, f.database, f.params, f.severity) == (
            3, "app", ("db.corp.net",), ("5432",), "prod", (("sslmode", "disable"),),
            Severity.HIGH,
        )
        assert f.secret == ""
        state = store.triage_states()["c0123456789abcde"]
        assert (state.status, state.note) == ("accepted", "staging only")
        assert store.scanned_tips("/srv/app", "v") == []
    conn = sqlite3.connect(db)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(scans)")}
    assert {"repo_key", "scan_version"} <= columns
    assert conn.execute("SELECT repo_key FROM scans").fetchall() == [("/srv/app",)]
    assert conn.execute("SELECT place FROM occurrences").fetchall() == [("file:/srv/app/.env::3",)]
    assert conn.execute("SELECT id, path, kind FROM targets").fetchall() == [
        (1, "/srv/app", "path")]
    assert conn.execute("SELECT target_id FROM scans").fetchall() == [(1,)]
    assert conn.execute("SELECT repo_key, target_id FROM occurrence_repos").fetchall() == [
        ("/srv/app", 1)]
    assert conn.execute("SELECT seq FROM occurrences").fetchall() == [(1,)]
    conn.close()


def test_a_failing_migration_leaves_the_store_at_its_old_version(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    make_v1_store(db)
    broken = Migration(2, "broken", ("ALTER TABLE scans ADD COLUMN repo_key TEXT", "SELECT nope"))
    conn = SqliteDatabase.open(db, create=False)
    with pytest.raises(StoreError, match=r"cannot write the findings store \(no such column"):
        migrate(conn, (V1, broken))
    assert current_version(conn) == 1
    assert "repo_key" not in {r[1] for r in conn.execute("PRAGMA table_info(scans)")}
    assert migrate(conn, MIGRATIONS) == 4
    conn.close()


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    Store.open(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(SchemaError, match="newer than this pgsweep supports"):
        Store.open(db)


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="not a pgsweep store"):
        Store.open(db)


def test_a_v2_store_gets_one_target_per_scanned_path(tmp_path: Path) -> None:
    """A repository's full-history scope and its `#partial` scope are one git target."""
    db = tmp_path / "v2.db"
    make_v1_store(db)
    conn = SqliteDatabase.open(db, create=False)
    assert migrate(conn, (V1, V2)) == 2
    conn.execute(
        "INSERT INTO scans (id, target, started_at, pgsweep_version, stats, repo_key)"
        " VALUES (2, '.', '2026-01-03T00:00:00+00:00', '0.1', '{}', '/srv/repo#partial'),"
        " (3, '/srv/repo', '2026-01-04T00:00:00+00:00', '0.1', '{}', '/srv/repo')"
    )
    conn.close()
    with Store.open(db) as store:
        assert [(t.id, t.path, t.kind, t.scans, t.credentials, t.occurrences)
                for t in store.targets()] == [
            (1, "/srv/app", "path", 1, 1, 1), (2, "/srv/repo", "git", 2, 0, 0)]
        [f] = store.findings(target=1)
        assert f.id == "f0123456789abcde"
        assert store.findings(target=2) == []
