"""`pgsweep sweep` over a fake machine root: 3 users, 20 planted leaks, decoys."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from filescan import scan_items, shared_scanner
from provenances import file_of

from pgsweep.core.models import GitProvenance, Severity
from pgsweep.core.options import ScanOptions
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.sweep import SweepSource

try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB8
except ImportError:  # older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB8

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return shared_scanner()



@dataclass(frozen=True)
class Leak:
    user: str
    path: str  # relative to the fake root
    line: int
    secret: str


def dbeaver_file(creds: dict[str, object]) -> bytes:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    body = padder.update(json.dumps(creds).encode()) + padder.finalize()
    key = bytes.fromhex("babb4a9f774ab853c96c2d653dfe544a")
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + enc.update(body) + enc.finalize()


def pgadmin_blob(plaintext: str, key: str) -> str:
    raw = key.encode()[:32]
    raw = raw if len(raw) in (16, 24, 32) else raw.ljust(32, b"}")
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(raw), CFB8(iv)).encryptor()
    return base64.b64encode(iv + enc.update(plaintext.encode()) + enc.finalize()).decode()


def write(root: Path, rel: str, text: str | bytes, mode: int = 0o600) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    p.chmod(mode)
    return p


def build_machine(root: Path, outside: Path) -> list[Leak]:
    """A machine with alice (Linux), postgres (its data directory) and carol (Windows)."""
    leaks: list[Leak] = []

    def pw(user: str, rel: str, line: int) -> str:
        secret = make_password()
        leaks.append(Leak(user, rel, line, secret))
        return secret

    write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "alice:x:1000:1000:Alice:/home/alice:/bin/zsh\n"
          "postgres:x:114:120:PostgreSQL:/var/lib/postgresql:/bin/bash\n", 0o644)

    # ---- alice: Linux laptop, 11 leaks
    a = "home/alice"
    write(root, f"{a}/.pgpass",
          "# work\n"
          f"db.corp.net:5432:prod:alice:{pw('alice', f'{a}/.pgpass', 2)}\n"
          f"*:*:*:report:{pw('alice', f'{a}/.pgpass', 3)}\n"
          "*:*:*:postgres:changeme\n", 0o644)
    write(root, f"{a}/.pg_service.conf",
          "[analytics]\nhost=dw.corp.net\nuser=bi\ndbname=dw\n"
          f"password={pw('alice', f'{a}/.pg_service.conf', 5)}\n"
          "[template]\nhost=x.corp.net\npassword=${SERVICE_PASSWORD}\n")
    write(root, f"{a}/.psqlrc",
          "\\set QUIET 1\n\\setenv PGUSER alice\n\\setenv PGHOST pg.corp.net\n"
          f"\\setenv PGPASSWORD {pw('alice', f'{a}/.psqlrc', 4)}\n")
    write(root, f"{a}/.env",
          f"DATABASE_URL=postgresql://api:{pw('alice', f'{a}/.env', 1)}@api-db.corp.net/api\n"
          "PGHOST=etl.corp.net\nPGUSER=etl\n"
          f'export PGPASSWORD="{pw("alice", f"{a}/.env", 4)}"\n'
          "TEST_URL=postgresql://user:password@localhost/test\n"
          "MASKED_URL=postgresql://app:****@db.corp.net/prod\n"
          "OTHER=${PGPASSWORD}\n")
    write(root, f"{a}/.bashrc",
          "export PATH=$HOME/bin:$PATH\n"
          "export LEGACY_DB=postgresql://legacy:"
          f"{pw('alice', f'{a}/.bashrc', 2)}@old.corp.net/app\n"
          "export PGPASSFILE=$HOME/secrets/pg.pass\n")
    write(root, f"{a}/secrets/pg.pass",
          f"vault.corp.net:5432:*:ops:{pw('alice', f'{a}/secrets/pg.pass', 1)}\n")
    dbv = f"{a}/.local/share/DBeaverData/workspace6/General/.dbeaver"
    ds_password = pw("alice", f"{dbv}/data-sources.json", 0)  # line fixed below
    sources = {"connections": {
        "postgres-jdbc-1a-2b": {"provider": "postgresql", "name": "prod",
                                "configuration": {"host": "prod.corp.net", "port": "5432",
                                                  "database": "prod"}},
        "postgres-jdbc-3c-4d": {"provider": "postgresql", "name": "url",
                                "configuration": {"url": "jdbc:postgresql://url.corp.net/u?"
                                                         f"user=u&password={ds_password}"}},
        "mysql8-5e-6f": {"provider": "mysql", "name": "shop",
                         "configuration": {"host": "shop.corp.net"}},
    }}
    ds_text = json.dumps(sources, indent="\t")
    write(root, f"{dbv}/data-sources.json", ds_text)
    leaks[-1] = Leak("alice", f"{dbv}/data-sources.json",
                     next(i for i, ln in enumerate(ds_text.splitlines(), 1) if ds_password in ln),
                     ds_password)
    dbv_pw = pw("alice", f"{dbv}/credentials-config.json", 1)
    write(root, f"{dbv}/credentials-config.json", dbeaver_file({
        "postgres-jdbc-1a-2b": {"#connection": {"user": "alice", "password": dbv_pw}},
        "mysql8-5e-6f": {"#connection": {"user": "shop", "password": make_password()}},
    }))
    write(root, f"{a}/.config/Code/User/settings.json",
          '{\n  "sqltools.connections": [\n'
          '    {"name": "dev", "driver": "PostgreSQL", "server": "dev.corp.net",\n'
          f'     "username": "dev", '
          f'"password": "{pw("alice", f"{a}/.config/Code/User/settings.json", 4)}"}},\n'
          '    {"name": "m", "driver": "MySQL", "server": "m.corp.net", "password": "x1"}\n'
          "  ]\n}\n")
    # decoys and hostile entries in alice's home
    (outside / "history").write_text(f"psql postgresql://x:{make_password()}@x.corp.net/x\n")
    (root / a / ".psql_history").symlink_to(outside / "history")  # never followed out of root
    (root / a / ".bash_history").symlink_to("/dev/null")
    os.mkfifo(root / a / ".env.pipe")
    write(root, f"{a}/projects/notes.txt",  # not a known location: a sweep does not read it
          f"postgresql://n:{make_password()}@n.corp.net/n\n")

    # ---- postgres: the server's home and data directory, 3 leaks
    pg = "var/lib/postgresql"
    write(root, f"{pg}/.pgpass",
          f"primary.corp.net:5432:replication:replicator:{pw('postgres', f'{pg}/.pgpass', 1)}\n")
    write(root, f"{pg}/.pg_service.conf",
          "[backup]\nhost=backup.corp.net\nuser=barman\n"
          f"password={pw('postgres', f'{pg}/.pg_service.conf', 4)}\n")
    write(root, f"{pg}/15/main/postgresql.auto.conf",
          "# Do not edit this file manually!\n"
          "primary_conninfo = 'user=replicator "
          f"password={pw('postgres', f'{pg}/15/main/postgresql.auto.conf', 2)} "
          "host=primary.corp.net port=5432'\n")

    # ---- carol: a Windows profile, 5 leaks
    c = "Users/carol"
    roaming = f"{c}/AppData/Roaming"
    write(root, f"{roaming}/postgresql/pgpass.conf",
          f"win.corp.net:5432:*:carol:{pw('carol', f'{roaming}/postgresql/pgpass.conf', 1)}\r\n")
    user_key = "$pbkdf2-sha512$25000$c2FsdA$aGFzaA"
    db = root / roaming / "pgAdmin" / "pgadmin4.db"
    db.parent.mkdir(parents=True)
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE user (id INTEGER PRIMARY KEY, email TEXT, password TEXT);"
                      "CREATE TABLE server (id INTEGER PRIMARY KEY, user_id INTEGER, name TEXT, "
                      "host TEXT, port INTEGER, maintenance_db TEXT, username TEXT, "
                      "password TEXT);")
    con.execute("INSERT INTO user VALUES (1, 'carol@corp.net', ?)", (user_key,))
    con.execute("INSERT INTO server VALUES (2, 1, 'prod', 'pgadm.corp.net', 5432, 'postgres', "
                "'carol', ?)", (pgadmin_blob(pw("carol", f"{roaming}/pgAdmin/pgadmin4.db", 2),
                                             user_key),))
    con.execute("INSERT INTO server VALUES (5, 1, 'locked', 'lock.corp.net', 5432, 'postgres', "
                "'carol', ?)", (pgadmin_blob(make_password(), "a master password"),))
    con.commit()
    con.close()
    cdbv = f"{roaming}/DBeaverData/workspace6/General/.dbeaver"
    write(root, f"{cdbv}/data-sources.json", json.dumps({"connections": {
        "postgres-jdbc-77": {"provider": "postgresql", "name": "win",
                             "configuration": {"host": "wdb.corp.net", "database": "w"}}}}))
    cdbv_pw = pw("carol", f"{cdbv}/credentials-config.json", 1)
    write(root, f"{cdbv}/credentials-config.json", dbeaver_file({
        "postgres-jdbc-77": {"#connection": {"user": "carol", "password": cdbv_pw}}}))
    write(root, f"{roaming}/Code/User/settings.json",
          '{\n  // work\n  "sqltools.connections": [{"name": "c", "driver": "PostgreSQL",\n'
          '    "server": "c.corp.net", "username": "carol",\n'
          f'    "password": "{pw("carol", f"{roaming}/Code/User/settings.json", 5)}",}}],\n}}\n')
    write(root, f"{c}/.env",
          "POSTGRES_USER=carol\n"
          f"POSTGRES_PASSWORD={pw('carol', f'{c}/.env', 2)}\n"
          "POSTGRES_HOST=cdb.corp.net\n")

    # ---- root: decoys only
    write(root, "root/.pgpass", "*:*:*:*:your_password\n")
    write(root, "root/.psqlrc", "\\set PROMPT1 '%n@%m %~%# '\n")

    # ---- system files: 1 leak
    write(root, "etc/postgresql-common/pg_service.conf",
          "[ops]\nhost=ops.corp.net\nuser=ops\n"
          f"password={pw('(system)', 'etc/postgresql-common/pg_service.conf', 4)}\n",
          0o644)
    if IS_ROOT:  # owners come from the image's /etc/passwd, not this machine's
        for dirpath, _dirs, files in os.walk(root / a):
            for name in files:
                os.chown(Path(dirpath) / name, 1000, 1000, follow_symlinks=False)
    return leaks


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in files + dirs:
            p = Path(dirpath) / name
            st = os.lstat(p)
            digest = ""
            if p.is_file() and not p.is_symlink():
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[str(p)] = f"{st.st_mode}:{st.st_size}:{st.st_mtime_ns}:{digest}"
    return out


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, list[Leak]]:
    root, outside = tmp_path / "evidence", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    return root, build_machine(root, outside)


def test_sweep_finds_every_planted_leak_and_no_decoy(
    scanner: Scanner, machine: tuple[Path, list[Leak]]
) -> None:
    root, leaks = machine
    assert len(leaks) == 20
    before = snapshot(root)
    source = SweepSource(root, ScanOptions(path=str(root)))
    assert [(h.user, str(h.path)) for h in source.homes] == [
        ("alice", str(root / "home/alice")),
        ("carol", str(root / "Users/carol")),
        ("postgres", str(root / "var/lib/postgresql")),
        ("root", str(root / "root")),
    ]
    found, stats = scan_items(scanner, source.iter_items())
    found = source.attribute(found)
    got = sorted(
        (source.user_of(f) or "(system)", str(Path(f.provenance.path or "").relative_to(root)),
         f.line, f.secret)
        for f in found
        if f.severity > Severity.INFO  # decoys (placeholder words) are kept at info
    )
    assert got == sorted((x.user, x.path, x.line, x.secret) for x in leaks)
    assert snapshot(root) == before  # read-only
    assert sorted(stats.warnings) == sorted([
        f"{root / 'Users/carol/AppData/Roaming/pgAdmin/pgadmin4.db'} (server 5: locked: "
        "carol@lock.corp.net): pgadmin: encrypted saved password present (key unavailable)",
        f"{root / 'home/alice/.bash_history'}: symlink out of root",
        f"{root / 'home/alice/.env.pipe'}: not a regular file",
        f"{root / 'home/alice/.psql_history'}: symlink out of root",
    ])
    pgpass = next(f for f in found if f.provenance.path == str(root / "home/alice/.pgpass"))
    assert pgpass.provenance.user == "alice"
    assert file_of(pgpass).mode == "0644"
    assert file_of(pgpass).risk_flags == ("pgpass-group-or-world-accessible:0644",)
    if IS_ROOT:
        assert file_of(pgpass).owner == "alice"  # uid 1000 in the image's /etc/passwd
    summaries = {u.user: u for u in source.summaries(found)}
    assert {u: (s.files, s.findings, s.skipped, s.encrypted_present)
            for u, s in summaries.items()} == {
        "alice": (9, 13, 3, 0), "carol": (6, 5, 1, 1), "postgres": (3, 3, 0, 0),
        "root": (2, 1, 0, 0), "(system)": (1, 1, 0, 0),
    }
    assert summaries["alice"].risk_flags == (
        f"{root / 'home/alice/.pgpass'}: pgpass-group-or-world-accessible:0644",)


def test_sweep_cli_json_users_section_and_redaction(
    machine: tuple[Path, list[Leak]], tmp_path: Path
) -> None:
    root, leaks = machine
    out = tmp_path / "report.json"
    xdg = tmp_path / "xdg"
    res = run_cli("sweep", "--root", str(root), "--format", "json", "--output", str(out),
                  env={"XDG_DATA_HOME": str(xdg), "XDG_CONFIG_HOME": str(xdg)})
    assert res.returncode == 1, res.stderr
    assert not xdg.exists()  # no findings store unless --store
    assert "Traceback" not in res.stderr
    assert "sweeping 4 homes" in res.stderr
    text = out.read_text()
    doc = json.loads(text)
    assert all(leak.secret not in text for leak in leaks)
    assert sorted(f["secret"] for f in doc["findings"] if f["severity"] != "info") == sorted(
        redact(x.secret) for x in leaks)
    assert [(u["user"], u["findings"]) for u in doc["users"]] == [
        ("alice", 13), ("carol", 5), ("postgres", 3), ("root", 1), ("(system)", 1)]
    assert {f["provenance"]["user"] for f in doc["findings"]
            if "user" in f["provenance"] and f["severity"] != "info"} == {
        "alice", "carol", "postgres"}
    res = run_cli("sweep", "--root", str(root), "--output", str(root / "report.txt"))
    assert res.returncode == 2 and "refusing to write inside the swept root" in res.stderr
    res = run_cli("sweep", "--root", str(root), "--store", str(root / "home/alice/s.db"))
    assert res.returncode == 2 and "refusing to write inside the swept root" in res.stderr
    res = run_cli("sweep", "--root", str(root))
    assert "Per user" in res.stdout and "encrypted saved passwords" in res.stdout
    # every place, with the user whose home it is in, at 80 columns
    verbose = run_cli("sweep", "--root", str(root), "-v", env={"COLUMNS": "80"})
    shown = {ln.strip() for ln in verbose.stdout.splitlines()}
    for f in doc["findings"]:
        if f["severity"] == "info":  # folded into one count line unless --show-info
            continue
        owner = f["provenance"].get("user")
        where = f"{f['path']}:{f['line']}"
        assert any(ln.startswith(f"{owner}: {where}" if owner else where) for ln in shown), where


def test_sweep_records_into_an_explicit_store_only(
    machine: tuple[Path, list[Leak]], tmp_path: Path
) -> None:
    from pgsweep.store import Store, repo_key_for

    root, leaks = machine
    store_path = tmp_path / "case.db"
    res = run_cli("sweep", "--root", str(root), "--format", "json", "--store", str(store_path),
                  env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert res.returncode == 1, res.stderr
    assert not (tmp_path / "xdg").exists()  # nothing written but what was asked for
    store = Store.open(store_path)
    try:
        stored = [f for f in store.findings(repo_key_for(str(root)))
                  if f.severity > Severity.INFO]
    finally:
        store.close()
    assert len(stored) == len(leaks)
    pgpass = [f for f in stored if f.provenance.path == str(root / "home/alice/.pgpass")]
    assert {file_of(f).risk_flags for f in pgpass} == {("pgpass-group-or-world-accessible:0644",)}
    assert {getattr(f.provenance, "user", None) for f in stored} == {
        "alice", "carol", "postgres", None}


def make_repo(path: Path, secret: str) -> None:
    path.mkdir(parents=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@corp.net",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@corp.net"}
    subprocess.run(["git", "init", "-q", str(path)], check=True, env=env)
    (path / "config.py").write_text(f"DB = 'postgresql://app:{secret}@repo.corp.net/app'\n")
    subprocess.run(["git", "-C", str(path), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "commit", "-qm", "add"], check=True, env=env)
    (path / "config.py").write_text("DB = os.environ['DATABASE_URL']\n")
    subprocess.run(["git", "-C", str(path), "commit", "-qam", "rm"], check=True, env=env)


def test_sweep_repos_scans_history(scanner: Scanner, tmp_path: Path) -> None:
    secret = make_password()
    make_repo(tmp_path / "home/alice/src/app", secret)
    source = SweepSource(tmp_path, ScanOptions(path=str(tmp_path)), repos=True)
    found, _ = scan_items(scanner, source.iter_items())
    found = source.attribute(found)
    assert [(f.secret, f.provenance.kind, source.user_of(f)) for f in found] == [
        (secret, "git", "alice")]
    assert isinstance(found[0].provenance, GitProvenance) and found[0].provenance.user == "alice"


def test_sweep_histories_with_the_history_readers(scanner: Scanner, tmp_path: Path) -> None:
    p1, p2, p3, p4 = (make_password() for _ in range(4))
    write(tmp_path, "home/alice/.bash_history",
          "ls\n#1717079400\n" f"psql postgresql://a:{p1}@h1.corp.net/db\n")
    write(tmp_path, "home/alice/.zsh_history",
          f": 1717079400:0;psql 'postgresql://b:{p2}@h2.corp.net/db'\n")
    write(tmp_path, "home/alice/.psql_history",
          f"select 1;\n\\c postgresql://c:{p3}@h3.corp.net/db\n")
    write(tmp_path, "Users/carol/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/"
          "ConsoleHost_history.txt", f"dir\npsql \"postgresql://d:{p4}@h4.corp.net/db\"\n")
    source = SweepSource(tmp_path, ScanOptions(path=str(tmp_path)))
    found, _ = scan_items(scanner, source.iter_items())
    got = sorted((source.user_of(f), Path(f.provenance.path or "").name, f.line, f.secret)
                 for f in found)
    assert got == sorted([
        ("alice", ".bash_history", 3, p1), ("alice", ".zsh_history", 1, p2),
        ("alice", ".psql_history", 2, p3), ("carol", "ConsoleHost_history.txt", 2, p4),
    ])
    assert {getattr(f.provenance, "user", None) for f in found} == {"alice", "carol"}
