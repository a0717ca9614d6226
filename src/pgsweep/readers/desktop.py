"""Saved connections of desktop database tools: DBeaver, pgAdmin 4, VS Code SQLTools."""

from __future__ import annotations

import base64
import binascii
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # CFB8 moved to the "decrepit" package in newer cryptography releases
    from cryptography.hazmat.decrepit.ciphers.modes import CFB8
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB8

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.config_files import conninfo_uri, parse_conninfo
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import LineMappedText, decode_text, desktop_provenance, make_uri
from pgsweep.readers.text import text_chunk, where_of

# DBeaver's documented default key for credentials-config.json.
DBEAVER_KEY = bytes.fromhex("babb4a9f774ab853c96c2d653dfe544a")
MAX_SIBLING_BYTES = 10 * 1024 * 1024

ENCRYPTED_PRESENT = "encrypted saved password present (key unavailable)"


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, max(pos, 0)) + 1


def _jdbc_parts(url: str) -> dict[str, str]:
    """host, port, database and query keys of a `jdbc:postgresql://` URL."""
    m = re.match(r"(?i)^jdbc:postgresql://([^/?]*)/?([^?]*)\??(.*)$", url or "")
    if not m:
        return {}
    out: dict[str, str] = {}
    authority, db, query = m.groups()
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    host, _, port = authority.partition(":")
    out.update({k: v for k, v in (("host", host), ("port", port), ("database", db)) if v})
    for pair in query.split("&") if query else ():
        k, sep, v = pair.partition("=")
        if sep:
            from urllib.parse import unquote_plus

            out[k] = unquote_plus(v)
    return out


# --------------------------------------------------------------------------- DBeaver


def dbeaver_decrypt(data: bytes, key: bytes = DBEAVER_KEY) -> bytes:
    """AES-128-CBC, IV = the file's first 16 bytes, PKCS#7 padding."""
    if len(data) < 32 or len(data) % 16:
        raise ValueError("not an AES-CBC payload")
    dec = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
    padded = dec.update(data[16:]) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _is_postgres_connection(conn: dict[str, Any]) -> bool:
    cfg = conn.get("configuration") or {}
    blob = " ".join(str(x) for x in (conn.get("provider"), conn.get("driver"), cfg.get("url")))
    return "postgres" in blob.lower() or "greenplum" in blob.lower()


def _dbeaver_connections(folder: Path) -> dict[str, dict[str, Any]]:
    """Every connection of the data-sources*.json files next to a credentials file."""
    out: dict[str, dict[str, Any]] = {}
    try:
        siblings = sorted(folder.glob("data-sources*.json"))
    except OSError:
        return out
    for p in siblings:
        try:
            if p.is_symlink() or not p.is_file() or p.stat().st_size > MAX_SIBLING_BYTES:
                continue
            doc = json.loads(p.read_bytes())
        except (OSError, ValueError):
            continue
        conns = doc.get("connections") if isinstance(doc, dict) else None
        if isinstance(conns, dict):
            out.update({k: v for k, v in conns.items() if isinstance(v, dict)})
    return out


class DBeaverCredentialsReader:
    """`credentials-config.json`, decrypted with DBeaver's public default key and joined
    by connection id to the `data-sources*.json` files of the same folder.

    The file is binary, so a finding's line is the entry's ordinal in the decrypted file.
    """

    name = "dbeaver"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name == "credentials-config.json"

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        try:
            creds = json.loads(dbeaver_decrypt(data))
        except (ValueError, UnicodeDecodeError):
            yield Skipped(where_of(info), "dbeaver: credentials not decryptable with the default "
                          "key (master password or secure storage)")
            return
        if not isinstance(creds, dict):
            return
        conns = {} if info.member else _dbeaver_connections(Path(info.path).parent)
        for ordinal, (conn_id, entry) in enumerate(creds.items(), start=1):
            auth = entry.get("#connection") if isinstance(entry, dict) else None
            if not isinstance(auth, dict) or not auth.get("password"):
                continue
            conn = conns.get(conn_id, {})
            if conn and not _is_postgres_connection(conn):
                continue
            if not conn and not conn_id.startswith("postgres"):
                continue
            cfg = conn.get("configuration") or {}
            jdbc = _jdbc_parts(str(cfg.get("url") or ""))
            host = str(cfg.get("host") or jdbc.get("host") or "")
            port = str(cfg.get("port") or jdbc.get("port") or "")
            uri = make_uri(
                str(auth["password"]),
                str(auth.get("user") or cfg.get("user") or "") or None,
                [host] if host else [],
                [port] if port and host else [],
                str(cfg.get("database") or jdbc.get("database") or "") or None,
            )
            text = LineMappedText()
            text.add(uri, ordinal)
            label = f"{conn.get('name') or conn_id} ({conn_id})" if conn else conn_id
            yield text.chunk(desktop_provenance(info, self.name, label), decoded=True)


class DBeaverDataSourcesReader:
    """`data-sources*.json`: passwords typed into a connection's URL or properties."""

    name = "dbeaver-data-sources"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name.startswith("data-sources") and info.name.endswith(".json")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        text = decode_text(data)
        try:
            doc = json.loads(text)
        except ValueError:
            yield text_chunk(info, data, self.name)
            return
        conns = doc.get("connections") if isinstance(doc, dict) else None
        if not isinstance(conns, dict):
            return
        for conn_id, conn in conns.items():
            if not isinstance(conn, dict) or not _is_postgres_connection(conn):
                continue
            cfg = conn.get("configuration") or {}
            jdbc = _jdbc_parts(str(cfg.get("url") or ""))
            props = cfg.get("properties")
            props = props if isinstance(props, dict) else {}
            password = cfg.get("password") or jdbc.get("password") or props.get("password")
            if not password:
                continue
            start = text.find(json.dumps(conn_id))
            pos = text.find('"password', start) if start >= 0 else -1
            if pos < 0:
                pos = text.find("password=", start)
            host = str(cfg.get("host") or jdbc.get("host") or "")
            port = str(cfg.get("port") or jdbc.get("port") or "")
            out = LineMappedText()
            out.add(
                make_uri(
                    str(password),
                    str(cfg.get("user") or jdbc.get("user") or "") or None,
                    [host] if host else [],
                    [port] if port and host else [],
                    str(cfg.get("database") or jdbc.get("database") or "") or None,
                ),
                _line_of(text, pos if pos >= 0 else start),
            )
            label = f"{conn.get('name') or conn_id} ({conn_id})"
            yield out.chunk(desktop_provenance(info, "dbeaver", label), decoded=True)


# --------------------------------------------------------------------------- pgAdmin 4


def pgadmin_key(key: str | bytes) -> bytes:
    """pgAdmin's `pad()`: UTF-8, first 32 bytes, as-is if 16/24/32 long, else `}`-padded."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    raw = raw[:32]
    return raw if len(raw) in (16, 24, 32) else raw.ljust(32, b"}")


def pgadmin_decrypt(ciphertext: str | bytes, key: str | bytes) -> bytes:
    """`base64(IV[16] || AES-CFB8(key', plaintext))` (pgadmin/utils/crypto.py)."""
    raw = base64.b64decode(ciphertext, validate=False)
    if len(raw) <= 16:
        raise ValueError("too short")
    dec = Cipher(algorithms.AES(pgadmin_key(key)), CFB8(raw[:16])).decryptor()
    return dec.update(raw[16:]) + dec.finalize()


def _plausible_password(raw: bytes) -> str | None:
    """CFB8 has no padding to check: a wrong key is told apart by non-printable output."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text and text.isprintable() else None


def _ciphertext_forms(value: Any) -> list[bytes]:
    raw = value if isinstance(value, bytes) else str(value).encode("ascii", "ignore")
    forms = [raw]
    try:
        unhexed = binascii.unhexlify(raw.strip())
        forms.append(unhexed)  # newer versions may hex-encode the base64 text
    except (binascii.Error, ValueError):
        pass
    return forms


class PgAdminReader:
    """`pgadmin4.db`: saved server passwords, decrypted when the key can be found.

    pgAdmin encrypts with the master password (or a keyring secret). When the master
    password is disabled the key is the `user.password` value in the same database, which
    is tried here. A saved password that cannot be decrypted is not a finding (there is no
    secret to fingerprint or redact); it becomes a counted warning naming the server.
    The database has no lines: a finding's line is the `server` table's row id.
    """

    name = "pgadmin"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name == "pgadmin4.db" or (
            info.name.endswith(".db") and head.startswith(b"SQLite format 3\x00")
            and "pgadmin" in info.path.lower()
        )

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        try:
            rows, keys = _pgadmin_rows(data)
        except sqlite3.Error:
            yield Skipped(where_of(info), "pgadmin: not a readable SQLite database")
            return
        for row in rows:
            blob = row.get("password")
            if not blob:
                continue
            own_key = keys.get(row.get("user_id"))
            candidates = ([own_key] if own_key else []) + [
                k for k in keys.values() if k != own_key
            ]
            password = _pgadmin_try_keys(blob, candidates)
            host = str(row.get("host") or row.get("hostaddr") or "")
            user = str(row.get("username") or "") or None
            label = f"server {row.get('id')}: {row.get('name')}"
            if password is None:
                yield Skipped(f"{where_of(info)} ({label}: {user or '?'}@{host or '?'})",
                              f"pgadmin: {ENCRYPTED_PRESENT}")
                continue
            port = str(row.get("port") or "")
            out = LineMappedText()
            out.add(
                make_uri(password, user, [host] if host else [],
                         [port] if port and host else [],
                         str(row.get("maintenance_db") or "") or None),
                int(row.get("id") or 1),
            )
            yield out.chunk(desktop_provenance(info, self.name, label), decoded=True)


def _pgadmin_try_keys(blob: Any, keys: list[str]) -> str | None:
    for key in keys:
        for form in _ciphertext_forms(blob):
            try:
                password = _plausible_password(pgadmin_decrypt(form, key))
            except (ValueError, binascii.Error):
                continue
            if password:
                return password
    return None


def _pgadmin_rows(data: bytes) -> tuple[list[dict[str, Any]], dict[Any, str]]:
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(data)
        con.row_factory = sqlite3.Row
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "server" not in tables:
            return [], {}
        rows = [dict(r) for r in con.execute("SELECT * FROM server")]
        for r in rows:
            params = r.get("connection_params")
            if isinstance(params, str) and params.strip().startswith("{"):
                try:
                    extra = json.loads(params)
                except ValueError:
                    extra = {}
                if isinstance(extra, dict):
                    for k in ("host", "hostaddr", "port"):
                        r.setdefault(k, extra.get(k))
        keys: dict[Any, str] = {}
        if "user" in tables:
            cols = {r[1] for r in con.execute("PRAGMA table_info('user')")}
            if {"id", "password"} <= cols:
                for uid, pw in con.execute('SELECT id, password FROM "user"'):
                    if pw:
                        keys[uid] = pw if isinstance(pw, str) else bytes(pw).decode("latin-1")
        return rows, keys
    finally:
        con.close()


# --------------------------------------------------------------------------- VS Code SQLTools


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas (VS Code settings) → JSON, same offsets."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
            continue
        if ch == ",":
            j = i + 1
            while j < n and (text[j].isspace() or text.startswith("//", j)
                             or text.startswith("/*", j)):
                if text.startswith("//", j):
                    j = text.find("\n", j) if text.find("\n", j) >= 0 else n
                elif text.startswith("/*", j):
                    e = text.find("*/", j + 2)
                    j = n if e < 0 else e + 2
                else:
                    j += 1
            if j < n and text[j] in "]}":
                out[i] = " "
        i += 1
    return "".join(out)


class SqlToolsReader:
    """VS Code `settings.json` with `sqltools.connections` (user or workspace settings)."""

    name = "sqltools"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name == "settings.json" or info.name.endswith(".code-workspace")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        text = decode_text(data)
        clean = strip_jsonc(text)
        try:
            doc = json.loads(clean)
        except ValueError:
            yield text_chunk(info, data, self.name)
            return
        if not isinstance(doc, dict):
            return
        nested = doc.get("settings")  # a .code-workspace keeps them under "settings"
        settings: dict[str, Any] = nested if isinstance(nested, dict) else doc
        conns = settings.get("sqltools.connections")
        anchor = clean.find('"sqltools.connections"')
        if not isinstance(conns, list) or anchor < 0:
            yield text_chunk(info, data, "json")  # settings of anything else: plain text
            return
        password_positions = [m.start() for m in
                              re.finditer(r'"(password|connectionString)"\s*:', clean[anchor:])]
        cursor = 0
        for conn in conns:
            if not isinstance(conn, dict):
                continue
            driver = str(conn.get("driver") or "").lower()
            if "postgres" not in driver and driver not in ("pg", "pgsql", "cockroachdb"):
                cursor += sum(1 for k in ("password", "connectionString") if k in conn)
                continue
            for key in ("password", "connectionString"):
                if key not in conn:
                    continue
                pos = (anchor + password_positions[cursor]
                       if cursor < len(password_positions) else anchor)
                cursor += 1
                value = conn.get(key)
                if not isinstance(value, str) or not value:
                    continue
                uri = value if key == "connectionString" else None
                if uri is None:
                    host = str(conn.get("server") or "")
                    port = str(conn.get("port") or "")
                    uri = make_uri(value, str(conn.get("username") or "") or None,
                                   [host] if host else [], [port] if port and host else [],
                                   str(conn.get("database") or "") or None)
                elif "=" in uri and "://" not in uri:
                    pairs = parse_conninfo(uri)
                    uri = (conninfo_uri(pairs) if pairs else None) or uri
                out = LineMappedText()
                out.add(uri, _line_of(text, pos))
                label = str(conn.get("name") or "") or None
                yield out.chunk(desktop_provenance(info, self.name, label), decoded=True)


DESKTOP_READERS = (
    DBeaverCredentialsReader(),
    DBeaverDataSourcesReader(),
    PgAdminReader(),
    SqlToolsReader(),
)
