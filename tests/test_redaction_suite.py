"""No plaintext, in any command, format, field or file: the redaction suite.

A git repository, a folder and a swept machine carry passwords planted in every field
position (the password, after a raw `@` in the host, inside the host, user, database,
path, a nested URI, `sslpassword`, a repeated parameter, a non-UTF-8 byte, next to
escape sequences and markup). Every command runs on them in every output format; the
stdout, stderr, written files and both findings stores (with encrypted secrets, and with
keyed hashes only) are searched for each planted password and for every 4-character
fragment of it. Without `--reveal` nothing may appear; with it, the same search finds the
passwords (so the search itself can fail).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_cli
from gitrepo import GitRepo
from typer.testing import CliRunner

from pgsweep.cli import app
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.scrub import MARK

STORE_KEY = "redaction-suite-" + secrets.token_urlsafe(24)
_LETTERS = "GHJKLMNPQRSTUVWXYZ"  # no hex digits, no O/I: nothing else in a report looks so
_DIGITS = "23456789"


def planted(n: int = 14) -> str:
    """Letter, digit, letter…: no 4 characters of it in a row occur in a report by chance
    (ids and fingerprints are lowercase hex, dates are runs of digits)."""
    return "".join(secrets.choice(_LETTERS if i % 2 == 0 else _DIGITS) for i in range(n))


def fragments(secret: str) -> set[str]:
    return {secret[i : i + 4] for i in range(len(secret) - 3)}


@dataclass(frozen=True)
class World:
    repo: Path
    root: Path  # a machine root for `sweep`
    store: Path  # encrypted secrets
    hashes: Path  # --no-store-secrets
    verifiers: Path
    secrets: dict[str, str]  # what each planted password is for -> the password


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("redaction")
    s = {name: planted() for name in (
        "uri", "sslpassword", "host", "user", "user_in", "database", "path", "dsn",
        "nested", "nested_unreadable", "odd_byte", "escapes", "markup", "sweep_pgpass",
        "sweep_history")}
    s["raw_at_head"], s["raw_at_tail"] = planted(6), planted(10)
    s["raw_at"] = f"{s['raw_at_head']}@{s['raw_at_tail']}"
    repo = GitRepo(base / "repo")
    repo.write("deploy/app.env", (
        f"DATABASE_URL=postgres://app:{s['uri']}@db1.prod.example.com:5432/prod"
        f"?sslmode=require&sslpassword={s['sslpassword']}&application_name={s['uri']}\n"
        f"RAW_AT_URL=postgres://app2:{s['raw_at']}@db2.prod.example.com/prod\n"
        f"NESTED_URL=postgresql://bob:{s['nested']}@db4.prod.example.com/"
        f"postgres://x:{s['nested'][::-1]}@y/db\n"
        f"HOST_URL=postgres://carol:{s['host']}@{s['host']}x.db5.prod.example.com/p\n"
        f"USER_URL=postgres://{s['user']}:{s['user']}@db6.prod.example.com/prod\n"
        f"USER_IN_URL=postgres://svc_{s['user_in']}:{s['user_in']}@db6.prod.example.com/p\n"
        f"DB_URL=postgres://dave:{s['database']}@db7.prod.example.com/{s['database']}_db\n"
        "WEAK_URL=postgres://postgres:postgres@core-postgresql.prod.svc.cluster.local/app\n"
    ))
    repo.write("scripts/run.sh", (
        f"psql \"host=db3.prod.example.com user=erin password={s['dsn']} "
        f"dbname='postgresql://x:{s['nested_unreadable']}%zz@h2/d'\"\n"
    ))
    repo.write(f"conf-{s['path']}/db.env",
               f"DATABASE_URL=postgres://frank:{s['path']}@db8.prod.example.com/prod\n")
    _write(repo.root / "odd.sh", b"PGPASSWORD=\xff" + s["odd_byte"].encode()
           + b" psql -h db9.prod.example.com -U gina\n")
    _write(repo.root / "ctl.env", b"URL=postgres://ev\x1b[31mil:" + s["escapes"].encode()
           + b"@db10\x1b]0;x\x07.prod.example.com/prod\n")
    _write(repo.root / ".pgpass",
           f"db11.prod.example.com:5432:prod:us[/bad]er:{s['markup']}\n".encode())
    repo.commit("configs")
    root = base / "machine"
    _write(root / "etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n"
           b"alice:x:1000:1000::/home/alice:/bin/bash\n")
    _write(root / "home/alice/.pgpass",
           f"db12.prod.example.com:5432:*:alice:{s['sweep_pgpass']}\n".encode())
    (root / "home/alice/.pgpass").chmod(0o600)
    _write(root / "home/alice/.bash_history", (
        f"psql postgresql://alice:{s['sweep_history']}@db13.prod.example.com/app\n").encode())
    verifiers = base / "roles.csv"
    md5 = hashlib.md5((s["uri"] + "app").encode()).hexdigest()
    verifiers.write_text(f"rolname,rolpassword\napp,md5{md5}\n")
    w = World(repo.root, root, base / "store.db", base / "hashes.db", verifiers, s)
    first = invoke("scan", str(w.repo), "--no-progress", "--store", str(w.store))
    hashed = invoke("scan", str(w.repo), "--no-progress", "--store", str(w.hashes),
                    "--no-store-secrets")
    assert first.exit_code == hashed.exit_code == 1, (first.stderr, first.exception)
    yield w


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    env = {"PGSWEEP_STORE_KEY": STORE_KEY, "COLUMNS": "200", "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=True)


def leaks(text: bytes, planted_secrets: dict[str, str]) -> list[str]:
    """Which planted secrets (or 4-character fragments of them) `text` holds."""
    found = []
    for name, secret in planted_secrets.items():
        pieces = {secret, *fragments(secret)}
        hit = sorted(p for p in pieces if p.encode() in text or p.lower().encode() in text)
        if hit:
            found.append(f"{name}: {hit[:3]}")
    return found


def store_text(db: Path) -> bytes:
    """Every value of every table, but the encrypted secrets (random bytes)."""
    conn = sqlite3.connect(db)
    try:
        out = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            for row in conn.execute(f"SELECT * FROM {table}"):
                for col, value in zip(cols, row, strict=True):
                    if not (table == "credentials" and col == "secret"):
                        out.append(value if isinstance(value, bytes) else str(value).encode(
                            "utf-8", "surrogateescape"))
    finally:
        conn.close()
    return b"\n".join(out)


def check_run(world: World, result, *files: Path) -> bytes:  # type: ignore[no-untyped-def]
    """The run's outputs, which must be valid UTF-8 and hold no planted secret."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    texts = [result.stdout_bytes, result.stderr_bytes or b"", *(f.read_bytes() for f in files)]
    for text in texts:
        text.decode("utf-8")
        assert b"\x1b" not in text  # escaped (or JSON-escaped) everywhere
        assert leaks(text, world.secrets) == []
    return b"\n".join(texts)


SCAN_FORMATS = ("terminal", "json", "jsonl", "csv", "sarif", "markdown", "html")


@pytest.mark.parametrize("fmt", SCAN_FORMATS)
def test_scan_shows_no_plaintext(world: World, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    result = invoke("scan", str(world.repo), "--no-progress", "--no-store", "-f", fmt,
                    "-o", str(out))
    assert result.exit_code == 1
    check_run(world, result, out)
    assert out.stat().st_size > 0


@pytest.mark.parametrize("fmt", ("terminal", "json"))
def test_an_incremental_scan_from_the_store_shows_no_plaintext(world: World, fmt: str) -> None:
    result = invoke("scan", str(world.repo), "--no-progress", "--store", str(world.store),
                    "-f", fmt)
    assert result.exit_code == 1
    check_run(world, result)


@pytest.mark.parametrize("fmt", ("terminal", "json", "csv", "markdown"))
def test_sweep_shows_no_plaintext(world: World, tmp_path: Path, fmt: str) -> None:
    result = invoke("sweep", "--root", str(world.root), "--no-progress", "--store",
                    str(tmp_path / "sweep.db"), "-f", fmt)
    assert result.exit_code == 1, result.stderr
    text = check_run(world, result)
    assert b"alice" in text


@pytest.mark.parametrize("store", ("store", "hashes"))
@pytest.mark.parametrize("fmt", ("markdown", "json", "html"))
def test_report_shows_no_plaintext(world: World, tmp_path: Path, store: str, fmt: str) -> None:
    out = tmp_path / f"plan.{fmt}"
    result = invoke("report", "--store", str(getattr(world, store)), "-f", fmt, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    check_run(world, result, out)


def _credential_ids(world: World) -> list[str]:
    result = invoke("report", "--store", str(world.store), "-f", "json")
    return [c["id"] for c in json.loads(result.stdout)["credentials"]]


def test_explain_and_triage_show_no_plaintext(world: World) -> None:
    for cid in _credential_ids(world):
        check_run(world, invoke("explain", cid, "--store", str(world.store)))
        check_run(world, invoke("triage", cid, "--store", str(world.store)))


@pytest.mark.parametrize("store", ("store", "hashes"))
def test_a_triage_note_holding_the_password_is_refused(world: World, store: str) -> None:
    path = getattr(world, store)
    report = json.loads(invoke("report", "--store", str(path), "-f", "json").stdout)
    [cred] = [c for c in report["credentials"] if c["user"] == "app"
              and c["hosts"] == ["db1.prod.example.com"]]
    note = f"old one was {world.secrets['uri']}"
    proc = run_cli("triage", cred["id"], "--status", "accepted", "--note", note,
                   "--store", str(path), env={"PGSWEEP_STORE_KEY": STORE_KEY})
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", "pgsweep: error: the note contains the credential's secret; not stored\n")
    assert leaks(store_text(path), world.secrets) == []


@pytest.mark.parametrize("fmt", ("terminal", "json"))
def test_verify_shows_no_plaintext(world: World, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"verify.{fmt}"
    result = invoke("verify", "--verifiers", str(world.verifiers), "--store", str(world.store),
                    "-f", fmt, "-o", str(out))
    assert result.exit_code == 1, result.stderr  # the planted md5 verifier matches
    check_run(world, result, out)


def test_baseline_create_and_audit_show_no_plaintext(world: World, tmp_path: Path) -> None:
    out = tmp_path / "baseline.json"
    created = invoke("baseline", "create", str(world.repo), "-o", str(out))
    assert created.exit_code == 0, created.stderr
    audited = invoke("baseline", "audit", str(out), input="n\ns\nq\n")
    check_run(world, created, out)
    check_run(world, audited)


@pytest.mark.parametrize("store", ("store", "hashes"))
def test_the_store_holds_no_plaintext(world: World, store: str) -> None:
    path = getattr(world, store)
    assert leaks(store_text(path), world.secrets) == []
    raw = path.read_bytes()
    assert [n for n, s in world.secrets.items() if s.encode() in raw] == []


def test_reveal_shows_what_the_search_looks_for(world: World) -> None:
    """The search is not vacuous: with --reveal it finds the revealed passwords."""
    result = invoke("scan", str(world.repo), "--no-progress", "--no-store", "-f", "json",
                    "--reveal")
    found = leaks(result.stdout_bytes, world.secrets)
    assert {f.split(":")[0] for f in found} >= {"uri", "dsn", "path", "markup", "odd_byte"}


def test_fields_are_scrubbed_exactly(world: World) -> None:
    s = world.secrets
    result = invoke("scan", str(world.repo), "--no-progress", "--no-store", "-f", "json")
    rows = {(f["user"], f["host"], f["database"], f["path"], f["secret"],
             json.dumps(f["params"], sort_keys=True))
            for f in json.loads(result.stdout)["findings"]}
    assert {
        ("app", "db1.prod.example.com", "prod", "deploy/app.env", redact(s["uri"]),
         json.dumps({"application_name": MARK, "sslmode": "require", "sslpassword": MARK},
                    sort_keys=True)),
        ("app2", f"{MARK}@db2.prod.example.com", "prod", "deploy/app.env",
         redact(s["raw_at_head"]), "{}"),
        ("bob", "db4.prod.example.com", f"postgres://x:{MARK}@y/db", "deploy/app.env",
         redact(s["nested"]), "{}"),
        ("carol", f"{MARK}x.db5.prod.example.com", "p", "deploy/app.env", redact(s["host"]),
         "{}"),
        (MARK, "db6.prod.example.com", "prod", "deploy/app.env", redact(s["user"]), "{}"),
        (f"svc_{MARK}", "db6.prod.example.com", "p", "deploy/app.env", redact(s["user_in"]),
         "{}"),
        ("dave", "db7.prod.example.com", f"{MARK}_db", "deploy/app.env", redact(s["database"]),
         "{}"),
        ("postgres", "core-postgresql.prod.svc.cluster.local", "app", "deploy/app.env",
         redact("postgres"), "{}"),
        ("erin", "db3.prod.example.com", f"postgresql://x:{MARK}@h2/d", "scripts/run.sh",
         redact(s["dsn"]), "{}"),
        ("frank", "db8.prod.example.com", "prod", f"conf-{MARK}/db.env", redact(s["path"]),
         "{}"),
        ("gina", "db9.prod.example.com", None, "odd.sh", redact("\udcff" + s["odd_byte"]),
         "{}"),
        ("ev\x1b[31mil", "db10\x1b]0;x\x07.prod.example.com", "prod", "ctl.env",
         redact(s["escapes"]), "{}"),
        ("us[/bad]er", "db11.prod.example.com", "prod", ".pgpass", redact(s["markup"]),
         json.dumps({}, sort_keys=True)),
    } <= rows


def test_no_escape_sequence_reaches_the_terminal(world: World) -> None:
    result = invoke("scan", str(world.repo), "--no-progress", "--no-store")
    assert b"\x1b" not in result.stdout_bytes and b"\x07" not in result.stdout_bytes
    assert "ev\\x1b[31mil" in result.stdout and "us[/bad]er" in result.stdout


def test_the_suite_covers_every_scan_format() -> None:
    from pgsweep.reporters.interface import Format, PlanFormat

    assert set(SCAN_FORMATS) == {str(f) for f in Format}
    assert {"markdown", "json", "html"} == {str(f) for f in PlanFormat}
    assert os.environ.get("PGSWEEP_STORE_KEY") is None  # the suite passes its key per run
