"""VS Code SQLTools connections in `settings.json` and `*.code-workspace` files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import (
    LineMappedText,
    decode_text,
    desktop_provenance,
    fields_credential,
    handed_chunk,
    line_of,
)
from pgsweep.readers.text import text_chunk

RULE = "pg.desktop.3"  # signatures/pg_desktop.yml


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
                where = desktop_provenance(info, self.name, str(conn.get("name") or "") or None)
                if key == "password":
                    parsed = fields_credential(
                        value, str(conn.get("username") or ""), [str(conn.get("server") or "")],
                        [str(conn.get("port") or "")], str(conn.get("database") or ""))
                    yield handed_chunk(where, RULE, line_of(text, pos), parsed)
                    continue
                # a connection string as typed: read by the signature of its own form
                out = LineMappedText()
                out.add(value, line_of(text, pos))
                yield out.chunk(where, decoded=True)
