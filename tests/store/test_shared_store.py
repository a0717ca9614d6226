"""A store a team shares: PostgreSQL end to end, writers at once, and no password in a message."""

from __future__ import annotations

import json
import multiprocessing
import secrets
import socket
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from conftest import make_password, run_cli, store_contents

from pgsweep.detectors import signatures
from pgsweep.findings.pipeline import Scanner, ScanResult
from pgsweep.sources.files import FileSource
from pgsweep.store import KEY_ENV, Store, StoreError
from pgsweep.store.postgres_db import display_url, translate

KEY = {KEY_ENV: "team-key-" + "k" * 24}


def write_leak(root: Path, name: str, password: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(f"url = postgresql://svc:{password}@pg.corp.net/app\n")


def _record_at_once(
    location: str, root: str, barrier: multiprocessing.synchronize.Barrier, times: int
) -> None:
    """One writer: scan `root`, wait for the other writer, record the scan `times` times."""
    result: ScanResult = Scanner(signatures.load()).run(FileSource(Path(root)))
    with Store.open(location) as store:
        barrier.wait(timeout=60)
        for _ in range(times):
            store.record_scan(result, root)


def test_two_processes_recording_the_same_credential_at_once(
    store_location: str, tmp_path: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY[KEY_ENV])
    Store.open(store_location).close()  # created and migrated; the race is the writes
    roots = [tmp_path / "one", tmp_path / "two"]
    for root in roots:
        write_leak(root, "app.ini", password)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    writers = [ctx.Process(target=_record_at_once, args=(store_location, str(root), barrier, 4))
               for root in roots]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=120)
    assert [w.exitcode for w in writers] == [0, 0]
    with Store.open(store_location) as store:
        [cred] = store.credentials()
        places = sorted(str(f.provenance.path) for f in store.findings())
        assert places == [str(roots[0] / "app.ini"), str(roots[1] / "app.ini")]
        assert {f.secret for f in store.findings()} == {password}
        assert cred.findings == tuple(f.id for f in store.findings())
        assert sorted((t.path, t.scans, t.credentials) for t in store.targets()) == [
            (str(roots[0]), 4, 1), (str(roots[1]), 4, 1)]


def test_scan_triage_report_on_postgresql(
    pg_store_url: str, tmp_path: Path, password: str
) -> None:
    proj = tmp_path / "proj"
    write_leak(proj, "app.ini", password)
    url_password = unquote(urlsplit(pg_store_url).password or "")
    outputs: list[str] = []

    def pgsweep(*args: str) -> tuple[int, str]:
        res = run_cli(*args, "--store", pg_store_url, env=KEY)
        outputs.append(res.stdout + res.stderr)
        return res.returncode, res.stdout

    rc, out = pgsweep("scan", str(proj), "--format", "json")
    assert rc == 1
    [cred] = json.loads(out)["credentials"]
    rc, out = pgsweep("triage", cred["id"][:6], "--status", "accepted", "--note", "test db")
    assert (rc, out.split(" (since ")[0]) == (0, f"{cred['id']}: accepted")
    rc, out = pgsweep("report", "--format", "json")
    assert rc == 0
    plan = json.loads(out)
    [planned] = plan["credentials"]
    assert (planned["id"], planned["status"], plan["summary"]["to_rotate"]) == (
        cred["id"], "accepted", 0)
    rc, out = pgsweep("triage", cred["id"])
    assert (rc, out.split(" (since ")[0], out.rstrip().endswith(": test db")) == (
        0, f"{cred['id']}: accepted", True)
    rc, out = pgsweep("targets")
    assert rc == 0 and str(proj) in out
    rc, out = pgsweep("explain", cred["id"])
    assert rc == 0 and cred["id"] in out
    # What the store holds is what a SQLite store would: the secret only encrypted.
    raw = store_contents(pg_store_url)
    assert b"pg.corp.net" in raw and password.encode() not in raw
    everything = "\n".join(outputs)
    assert password not in everything
    assert url_password not in everything and quote(url_password, safe="") not in everything


def _refused(location: str) -> str:
    with pytest.raises(StoreError) as caught:
        Store.open(location)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_no_password_of_the_url_in_any_message(pg_store_url: str) -> None:
    parts = urlsplit(pg_store_url)
    wrong = "Wr0ng:" + make_password(12)
    bad_password = pg_store_url.replace(parts.password or "", quote(wrong, safe=""))
    message = _refused(bad_password)
    shown = f"postgresql://store_keeper@{parts.hostname}:{parts.port}{parts.path}"
    assert message.startswith(f"{shown}: cannot connect to the findings store (")
    assert 'password authentication failed for user "store_keeper"' in message
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    nobody = f"postgresql://u:{quote(wrong, safe='')}@127.0.0.1:{closed}/db?password={wrong}"
    message = _refused(nobody)
    assert message.startswith(f"postgresql://u@127.0.0.1:{closed}/db: cannot connect")
    garbled = f"postgresql://u:{quote(wrong, safe='')}@h/db?sslmode=sometimes&x=%zz{wrong}"
    assert _refused(garbled) == (
        "postgresql://u@h/db: not a valid PostgreSQL URL "
        "(postgresql://USER@HOST:PORT/DATABASE?PARAMETER=VALUE)")
    for text in (message, _refused(bad_password), _refused(garbled)):
        for form in (wrong, quote(wrong, safe=""), wrong[6:]):
            assert form not in text


def test_without_the_cluster_extra_the_url_is_one_line_naming_it(tmp_path: Path) -> None:
    fake = tmp_path / "no-psycopg" / "psycopg"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('psycopg is not installed')\n")
    proj = tmp_path / "proj"
    write_leak(proj, "app.ini", make_password())
    from conftest import REPO_ROOT

    res = run_cli("scan", str(proj), "--store", "postgresql://u:pw@127.0.0.1/db",
                  env={**KEY, "PYTHONPATH": f"{fake.parent}:{REPO_ROOT / 'src'}"})
    assert (res.returncode, res.stdout, res.stderr) == (2, "", (
        "pgsweep: error: --store postgresql://… needs the cluster extra: "
        "pip install 'pgsweep[cluster]'\n"))


def test_both_engines_get_the_same_tables_and_columns(pg_store_url: str, tmp_path: Path) -> None:
    import sqlite3

    import psycopg

    Store.open(tmp_path / "s.db").close()
    Store.open(pg_store_url).close()
    with sqlite3.connect(tmp_path / "s.db") as lite:
        tables = [r[0] for r in lite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        in_sqlite = {(t, r[1]) for t in tables for r in lite.execute(f"PRAGMA table_info({t})")}
    with psycopg.connect(pg_store_url) as pg:
        in_postgres = {(t, c) for t, c in pg.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()")}
        [(version,)] = pg.execute("SELECT value FROM meta WHERE key = 'schema_version'")
    assert in_postgres == in_sqlite
    assert version == "4"


@pytest.mark.parametrize("sql, expected", [
    ("SELECT a FROM t WHERE b = ? AND c LIKE '%x'",
     "SELECT a FROM t WHERE b = %s AND c LIKE '%%x'"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, b BLOB)",
     "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT, b BYTEA)"),
    ("CREATE TABLE t (a TEXT, PRIMARY KEY (a)) WITHOUT ROWID",
     "CREATE TABLE t (a TEXT, PRIMARY KEY (a))"),
    ("INSERT OR IGNORE INTO t (a) SELECT a FROM u",
     "INSERT INTO t (a) SELECT a FROM u ON CONFLICT DO NOTHING"),
])
def test_statements_as_postgresql_spells_them(sql: str, expected: str) -> None:
    assert translate(sql) == expected


@pytest.mark.parametrize("url, shown", [
    ("postgresql://u:p%40ss@db.corp:5433/x?password=p&sslmode=require",  # pgsweep:ignore
     "postgresql://u@db.corp:5433/x"),
    ("postgres://db/x", "postgres://db/x"),
    ("postgresql://[::1]:5432/x", "postgresql://[::1]:5432/x"),
    ("postgresql://u:pw@h:notaport/x", "postgresql://…"),
])
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_a_random_password_is_masked_wherever_the_driver_quotes_it() -> None:
    from pgsweep.store.postgres_db import scrub

    pw = "p@ss/" + secrets.token_hex(4)
    url = f"postgresql://u:{quote(pw, safe='')}@h/db?password={quote(pw, safe='')}"
    said = f'invalid "{pw}" and "{quote(pw, safe="")}"\nsecond line\nsecond line'
    assert scrub(said, url) == 'invalid "***" and "***"; second line'
