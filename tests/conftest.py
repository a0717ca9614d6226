"""Shared fixtures: the loaded signatures and a CLI runner that never needs a shell."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from pgserver import PgServer

from pgsweep.detectors.signatures import Signature
from pgsweep.findings.pipeline import ScanResult

# Property tests check behaviour, not speed: a loaded CI machine must not fail them on time.
settings.register_profile("pgsweep", deadline=None)
settings.load_profile("pgsweep")

REPO_ROOT = Path(__file__).resolve().parents[1]


def make_password(n: int = 16) -> str:
    """A fresh random password per run: fixtures never hold a real-looking secret at rest."""
    alphabet = string.ascii_letters + string.digits
    # A digit third: an all-letter value holding "pwd"/"pass" reads as a placeholder.
    return "Pw" + secrets.choice(string.digits) + "".join(
        secrets.choice(alphabet) for _ in range(n - 3))


@pytest.fixture(autouse=True)
def private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test (and every CLI it runs) gets its own data, config and cache dirs: `scan`
    records into the default findings store and creates a store key, never in the real
    home, and caches the checked signatures there."""
    home = tmp_path_factory.mktemp("user-dirs")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("PGSWEEP_CACHE_DIR", raising=False)
    monkeypatch.delenv("PGSWEEP_STORE_KEY", raising=False)
    return home


@pytest.fixture
def password() -> str:
    return make_password()


@pytest.fixture(scope="session")
def all_signatures() -> list[Signature]:
    from pgsweep.detectors import signatures

    return signatures.load()


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m pgsweep` as a user would; returns the completed process."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PYTHONPATH", str(REPO_ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "pgsweep", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=600,
    )


def run_cli_here(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`pgsweep ARGS` through the real entry point in this process (no interpreter start):
    for tests that run many commands. Returns what `run_cli` returns."""
    import contextlib
    import io

    from pgsweep.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        saved = sys.argv
        sys.argv = ["pgsweep", *args]
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        finally:
            sys.argv = saved
    return subprocess.CompletedProcess(["pgsweep", *args], code, out.getvalue(), err.getvalue())


# --------------------------------------------------------------------------- PostgreSQL
@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL cluster on 127.0.0.1 for the whole session, with these login roles:

    alice  SCRAM, non-ASCII password          bob    md5 (hba `md5` for it)
    carol  SCRAM, needs SASLprep (ligature, NBSP, soft hyphen)
    dave   SCRAM, quotes and a backslash      erin   SCRAM, rotated after the leak
    frank  md5, rotated after the leak
    `server.roles[name].leaked` is what leaked, `.current` what the server accepts now.
    """
    from pgserver import PgServerUnavailable, remove_server, start_server

    try:
        server = start_server(md5_roles=("bob", "frank"))
    except PgServerUnavailable as exc:  # make system-deps installs the server
        pytest.fail(str(exc))
    try:
        server.create_role("alice", "scram-sha-256", "Pä-" + make_password(12))
        server.create_role("bob", "md5", make_password())
        server.create_role("carol", "scram-sha-256", "\ufb01\u00a0x\u00ady-" + make_password(10))
        server.create_role("dave", "scram-sha-256", "it's \"a\" \\ back-" + make_password(10))
        server.create_role("erin", "scram-sha-256", make_password(), current=make_password())
        server.create_role("frank", "md5", make_password(), current=make_password())
        yield server
    finally:
        remove_server(server)


STORE_ROLE = "store_keeper"


@pytest.fixture(scope="session")
def pg_store_role(pg_server: PgServer) -> str:
    """A login role of the session's cluster that owns the findings stores tests create;
    its password needs percent-encoding in a URL."""
    password = "k:/@%?" + make_password(12)
    pg_server.create_role(STORE_ROLE, "scram-sha-256", password)
    return password


@pytest.fixture
def pg_store_url(pg_server: PgServer, pg_store_role: str) -> Iterator[str]:
    """A postgresql:// URL (with its password) of a new, empty database for one test."""
    from urllib.parse import quote

    from psycopg import sql

    name = "store_" + secrets.token_hex(6)
    with pg_server.admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(STORE_ROLE)))
    yield (f"postgresql://{STORE_ROLE}:{quote(pg_store_role, safe='')}@{pg_server.host}:"
           f"{pg_server.port}/{name}")
    with pg_server.admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's findings store lives: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "s.db")
    return str(request.getfixturevalue("pg_store_url"))


def store_contents(location: str) -> bytes:
    """Everything a store holds at rest, as bytes: the SQLite file, or every value of every
    row of every table of the PostgreSQL database (bytea values as their raw bytes)."""
    if not location.startswith("postgresql://"):
        return Path(location).read_bytes()
    import psycopg

    out = []
    with psycopg.connect(location) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema()")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    out.append(value if isinstance(value, bytes) else str(value).encode(
                        "utf-8", "surrogateescape"))
    return b"\n".join(out)


def scan_tree(root: Path, files: dict[str, str]) -> ScanResult:
    """Write `files` under `root` and scan the folder with the shipped signatures."""
    from pgsweep.detectors import signatures
    from pgsweep.findings.pipeline import Scanner
    from pgsweep.sources.files import FileSource

    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Scanner(signatures.load()).run(FileSource(root))


@pytest.fixture
def leaky_scan(tmp_path: Path) -> tuple[ScanResult, tuple[str, str]]:
    """A real scan of a folder with two leaks (one repeated) and their plaintext passwords."""
    pw1, pw2 = make_password(), make_password()
    result = scan_tree(tmp_path / "repo", {
        "app/settings.env": f"# settings\nDATABASE_URL=postgresql://app:{pw1}@db.corp.net:5432/prod\n",
        "deploy/run.sh": (
            "#!/bin/sh\n"
            f"psql postgres://report:{pw2}@10.20.30.40/reports -c 'select 1'\n"
            f"export URL=postgres://app:{pw1}@db.corp.net:5432/prod\n"
        ),
    })
    return result, (pw1, pw2)
