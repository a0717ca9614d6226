"""DBeaver's saved connections: `credentials-config.json` (decrypted) and `data-sources*.json`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pgsweep.core.models import Chunk, ParsedCredential, Skipped
from pgsweep.parsers import jdbc
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import (
    decode_text,
    desktop_provenance,
    fields_credential,
    handed_chunk,
    line_of,
)
from pgsweep.readers.text import text_chunk, where_of

# DBeaver's documented default key for credentials-config.json.
DBEAVER_KEY = bytes.fromhex("babb4a9f774ab853c96c2d653dfe544a")
MAX_SIBLING_BYTES = 10 * 1024 * 1024
RULE = "pg.desktop.1"  # signatures/pg_desktop.yml


def dbeaver_decrypt(data: bytes, key: bytes = DBEAVER_KEY) -> bytes:
    """AES-128-CBC, IV = the file's first 16 bytes, PKCS#7 padding."""
    # cryptography loads when a DBeaver file is read, not with every scan: start-up time
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(data) < 32 or len(data) % 16:
        raise ValueError("not an AES-CBC payload")
    dec = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
    padded = dec.update(data[16:]) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _url_parts(url: str) -> ParsedCredential:
    """The parts of a connection's `jdbc:postgresql:` URL (none when it is not one)."""
    return jdbc.parse(url) if jdbc.PREFIX_RE.match(url) else ParsedCredential()


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


def _hosts_and_ports(
    cfg: dict[str, Any], url: ParsedCredential
) -> tuple[list[str], list[str]]:
    """The connection's host and port fields, else its URL's (no port without a host)."""
    hosts = [str(cfg["host"])] if cfg.get("host") else list(url.hosts)
    ports = [str(cfg["port"])] if cfg.get("port") else list(url.ports)
    return (hosts, ports) if hosts else ([], [])


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
            url = _url_parts(str(cfg.get("url") or ""))
            hosts, ports = _hosts_and_ports(cfg, url)
            parsed = fields_credential(
                str(auth["password"]), str(auth.get("user") or cfg.get("user") or ""),
                hosts, ports, str(cfg.get("database") or url.database or ""))
            label = f"{conn.get('name') or conn_id} ({conn_id})" if conn else conn_id
            yield handed_chunk(desktop_provenance(info, self.name, label), RULE, ordinal, parsed)


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
            url = _url_parts(str(cfg.get("url") or ""))
            props = cfg.get("properties")
            props = props if isinstance(props, dict) else {}
            password = cfg.get("password") or url.password or props.get("password")
            if not password:
                continue
            start = text.find(json.dumps(conn_id))
            pos = text.find('"password', start) if start >= 0 else -1
            if pos < 0:
                pos = text.find("password=", start)
            hosts, ports = _hosts_and_ports(cfg, url)
            parsed = fields_credential(
                str(password), str(cfg.get("user") or url.user or ""), hosts, ports,
                str(cfg.get("database") or url.database or ""))
            label = f"{conn.get('name') or conn_id} ({conn_id})"
            yield handed_chunk(desktop_provenance(info, "dbeaver", label), RULE,
                               line_of(text, pos if pos >= 0 else start), parsed)
