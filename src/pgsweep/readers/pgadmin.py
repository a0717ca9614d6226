"""pgAdmin 4's `pgadmin4.db`: saved server passwords, decrypted when the key is there."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import desktop_provenance, fields_credential, handed_chunk
from pgsweep.readers.text import where_of

ENCRYPTED_PRESENT = "encrypted saved password present (key unavailable)"
RULE = "pg.desktop.2"  # signatures/pg_desktop.yml


def pgadmin_key(key: str | bytes) -> bytes:
    """pgAdmin's `pad()`: UTF-8, first 32 bytes, as-is if 16/24/32 long, else `}`-padded."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    raw = raw[:32]
    return raw if len(raw) in (16, 24, 32) else raw.ljust(32, b"}")


def pgadmin_decrypt(ciphertext: str | bytes, key: str | bytes) -> bytes:
    """`base64(IV[16] || AES-CFB8(key', plaintext))` (pgadmin/utils/crypto.py)."""
    # cryptography loads when a pgAdmin database is read, not with every scan: start-up time
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    try:  # CFB8 moved to the "decrepit" package in newer cryptography releases
        from cryptography.hazmat.decrepit.ciphers.modes import CFB8
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.modes import CFB8

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
            parsed = fields_credential(password, user, [host], [str(row.get("port") or "")],
                                       str(row.get("maintenance_db") or ""))
            yield handed_chunk(desktop_provenance(info, self.name, label), RULE,
                               int(row.get("id") or 1), parsed)


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
