"""Desktop tools' saved connections, built as the tools write them."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import make_password
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from filescan import Row, row, scan_items, shared_scanner
from provenances import desktop_of

from pgsweep.core.models import Finding, MailProvenance, ScanStats
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.files import FileSource

try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB8
except ImportError:  # older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB8

DBEAVER_KEY_HEX = "babb4a9f774ab853c96c2d653dfe544a"  # public, from DBeaver's documentation


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return shared_scanner()



def dbeaver_encrypt_with_openssl(plaintext: bytes) -> bytes:
    """Encrypt as DBeaver does, with the openssl CLI (independent of pgsweep's code):
    AES-128-CBC, PKCS#7, a random IV written as the file's first 16 bytes."""
    iv = os.urandom(16)
    body = subprocess.run(
        ["openssl", "enc", "-aes-128-cbc", "-K", DBEAVER_KEY_HEX, "-iv", iv.hex()],
        input=plaintext, capture_output=True, check=True,
    ).stdout
    return iv + body


def findings_under(scanner: Scanner, root: Path) -> tuple[list[Finding], ScanStats]:
    return scan_items(scanner, FileSource(root).iter_items())


def test_dbeaver_credentials_joined_to_data_sources(scanner: Scanner, tmp_path: Path) -> None:
    p1, p2 = make_password(), make_password()
    folder = tmp_path / "workspace6" / "General" / ".dbeaver"
    folder.mkdir(parents=True)
    sources = {
        "folders": {},
        "connections": {
            "postgres-jdbc-18c2a1-6e1f": {
                "provider": "postgresql", "driver": "postgres-jdbc", "name": "prod",
                "save-password": True,
                "configuration": {"host": "pg.corp.net", "port": "5432", "database": "prod",
                                  "url": "jdbc:postgresql://pg.corp.net:5432/prod",
                                  "auth-model": "native"},
            },
            "mysql8-18c2a2-1111": {
                "provider": "mysql", "driver": "mysql8", "name": "shop",
                "configuration": {"host": "my.corp.net", "url": "jdbc:mysql://my.corp.net/shop"},
            },
            "postgres-jdbc-18c2a3-7f00": {
                "provider": "postgresql", "name": "typed-in-url",
                "configuration": {"url": f"jdbc:postgresql://bi.corp.net/dw?user=bi&password={p2}"},
            },
        },
    }
    (folder / "data-sources.json").write_text(json.dumps(sources, indent="\t"))
    creds = {
        "postgres-jdbc-18c2a1-6e1f": {"#connection": {"user": "app", "password": p1}},
        "mysql8-18c2a2-1111": {"#connection": {"user": "shop", "password": make_password()}},
        "network/ssh_tunnel": {"password": make_password()},
    }
    (folder / "credentials-config.json").write_bytes(
        dbeaver_encrypt_with_openssl(json.dumps(creds).encode()))
    found, stats = findings_under(scanner, tmp_path)
    ds_line = next(i for i, ln in enumerate(
        (folder / "data-sources.json").read_text().splitlines(), 1) if p2 in ln)
    got = sorted(((row(f), desktop_of(f).tool, desktop_of(f).connection) for f in found),
                 key=lambda t: str(t[0].path))
    assert got == [
        (Row(str(folder / "credentials-config.json"), 1, "app", "pg.corp.net", p1, "prod"),
         "dbeaver", "prod (postgres-jdbc-18c2a1-6e1f)"),
        (Row(str(folder / "data-sources.json"), ds_line, "bi", "bi.corp.net", p2, "dw"),
         "dbeaver", "typed-in-url (postgres-jdbc-18c2a3-7f00)"),
    ]
    assert found[0].provenance.kind == "desktop"
    assert stats.skipped == {}
    # the saved connections' fields are handed over under the tool's own form
    assert {f.rule for f in found} == {"pg.desktop.1"}


def test_dbeaver_master_password_is_a_counted_warning(scanner: Scanner, tmp_path: Path) -> None:
    iv = os.urandom(16)
    other_key = os.urandom(16)
    enc = Cipher(algorithms.AES(other_key), modes.CBC(iv)).encryptor()
    (tmp_path / "credentials-config.json").write_bytes(iv + enc.update(b"x" * 32) + enc.finalize())
    found, stats = findings_under(scanner, tmp_path)
    assert found == []
    assert list(stats.skipped) == [
        "dbeaver: credentials not decryptable with the default key (master password or secure "
        "storage)"]


def pgadmin_encrypt(plaintext: str, key: str) -> str:
    """pgadmin/utils/crypto.py: base64(iv || AES-CFB8(pad(key), plaintext))."""
    raw = key.encode()[:32]
    if len(raw) not in (16, 24, 32):
        raw = raw.ljust(32, b"}")
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(raw), CFB8(iv)).encryptor()
    return base64.b64encode(iv + enc.update(plaintext.encode()) + enc.finalize()).decode()


def build_pgadmin_db(path: Path, servers: list[tuple[int, str, str, str | None]]) -> None:
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE user (id INTEGER PRIMARY KEY, username VARCHAR(256), email VARCHAR(256),
                           password VARCHAR(256), active BOOLEAN NOT NULL, auth_source TEXT);
        CREATE TABLE server (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,
                             servergroup_id INTEGER NOT NULL, name VARCHAR(128) NOT NULL,
                             host VARCHAR(128), port INTEGER, maintenance_db VARCHAR(64),
                             username VARCHAR(64), password VARCHAR(64), save_password INTEGER,
                             connection_params TEXT);
        """
    )
    con.execute("INSERT INTO user VALUES (1, 'pgadmin4@pgadmin.org', 'pgadmin4@pgadmin.org', "
                "'$pbkdf2-sha512$25000$aGVsbG8$Zm9vYmFy', 1, 'internal')")
    for sid, name, host, blob in servers:
        con.execute("INSERT INTO server VALUES "
                    "(?, 1, 1, ?, ?, 5432, 'postgres', 'dba', ?, ?, '{}')",
                    (sid, name, host, blob, 1 if blob else 0))
    con.commit()
    con.close()


def test_pgadmin_decrypts_with_the_user_key_and_warns_otherwise(
    scanner: Scanner, tmp_path: Path
) -> None:
    pw = make_password()
    user_key = "$pbkdf2-sha512$25000$aGVsbG8$Zm9vYmFy"  # master password disabled: user.password
    db = tmp_path / ".pgadmin" / "pgadmin4.db"
    db.parent.mkdir()
    build_pgadmin_db(db, [
        (3, "prod", "pg.corp.net", pgadmin_encrypt(pw, user_key)),
        (7, "locked", "vault.corp.net", pgadmin_encrypt(make_password(), "master password!")),
        (9, "no password", "x.corp.net", None),
    ])
    found, stats = findings_under(scanner, tmp_path)
    assert [(row(f), desktop_of(f).connection, f.rule) for f in found] == [
        (Row(str(db), 3, "dba", "pg.corp.net", pw, "postgres"), "server 3: prod", "pg.desktop.2")]
    assert stats.skipped == {"pgadmin: encrypted saved password present (key unavailable)": 1}
    assert stats.warnings == [f"{db} (server 7: locked: dba@vault.corp.net): pgadmin: encrypted "
                              "saved password present (key unavailable)"]


def test_pgadmin_not_a_database_is_a_warning(scanner: Scanner, tmp_path: Path) -> None:
    (tmp_path / "pgadmin4.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    found, stats = findings_under(scanner, tmp_path)
    assert found == [] and list(stats.skipped) == ["pgadmin: not a readable SQLite database"]


def test_sqltools_settings_with_comments_and_trailing_commas(
    scanner: Scanner, tmp_path: Path
) -> None:
    p1, p2 = make_password(), make_password()
    text = (
        "{\n"
        "  // editor\n"
        '  "editor.fontSize": 13,\n'
        '  "sqltools.connections": [\n'
        "    {\n"
        '      "name": "shop", "driver": "MySQL", "server": "my.corp.net",\n'
        f'      "password": "{make_password()}",\n'
        "    },\n"
        "    {\n"
        '      "name": "prod",\n'
        '      "driver": "PostgreSQL",\n'
        '      "server": "pg.corp.net", "port": 5432, "database": "prod",\n'
        '      "username": "app",\n'
        f'      "password": "{p1}", /* saved in plain text */\n'
        "    },\n"
        '    {"name": "bi", "driver": "PostgreSQL",\n'
        f'     "connectionString": "host=bi.corp.net user=bi password=\'{p2}\' dbname=dw"}},\n'
        "  ],\n"
        "}\n"
    )
    settings = tmp_path / "Code" / "User" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(text)
    found, _ = findings_under(scanner, tmp_path)
    assert sorted(((row(f), desktop_of(f).connection) for f in found), key=lambda t: t[0].line) == [
        (Row(str(settings), 14, "app", "pg.corp.net", p1, "prod"), "prod"),
        (Row(str(settings), 17, "bi", "bi.corp.net", p2, "dw"), "bi"),
    ]
    assert {desktop_of(f).tool for f in found} == {"sqltools"}
    # a connection string is handed on as written, for the signature of its own form
    assert sorted((f.line, f.rule) for f in found) == [(14, "pg.desktop.3"), (17, "pg.dsn.1")]


def test_a_dbeaver_store_mailed_as_an_attachment_keeps_its_rule(
    scanner: Scanner, tmp_path: Path
) -> None:
    pw = make_password()
    creds = {"postgres-jdbc-1a": {"#connection": {"user": "app", "password": pw}}}
    msg = EmailMessage()
    msg["From"] = "dev@corp.example"
    msg["Subject"] = "my DBeaver setup"
    msg.set_content("attached")
    msg.add_attachment(dbeaver_encrypt_with_openssl(json.dumps(creds).encode()),
                       maintype="application", subtype="octet-stream",
                       filename="credentials-config.json")
    (tmp_path / "setup.eml").write_bytes(bytes(msg))
    found, _ = findings_under(scanner, tmp_path)
    assert [(f.rule, f.user, f.secret) for f in found] == [("pg.desktop.1", "app", pw)]
    mail = found[0].provenance
    assert isinstance(mail, MailProvenance) and mail.part == "attachment credentials-config.json"
