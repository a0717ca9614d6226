"""Client config files (.pgpass, pg_service.conf, .psqlrc, .env, postgresql.conf, notebooks)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

from pgsweep.core.models import Chunk, Skipped
from pgsweep.parsers import pgpass
from pgsweep.readers.envgroups import Assignment, synthesize
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import (
    LineMappedText,
    decode_text,
    file_provenance,
    make_uri,
    shell_quote,
    split_lines,
)
from pgsweep.readers.text import text_chunk

# --------------------------------------------------------------------------- .pgpass


def pgpass_risk(info: FileInfo) -> tuple[str, ...] | None:
    """A .pgpass that group or world can access (libpq ignores it; others can read it)."""
    if info.mode is None:
        return None
    try:
        mode = int(info.mode, 8)
    except ValueError:
        return None
    if mode & 0o077:
        return (f"pgpass-group-or-world-accessible:{info.mode}",)
    return None


class PgpassReader:
    """`hostname:port:database:username:password` lines, passed on as they are for the
    `.pgpass` signature (pg.pgpass.1), comment lines blanked, with the file's permission
    risk.

    Besides the usual names, the file that `passfile` names is one (the registry passes
    the `PGPASSFILE` of the scanning process; a sweep finds each user's in their rc files).
    """

    name = "pgpass"

    def __init__(self, passfile: str | None = None) -> None:
        self.passfile = os.path.realpath(passfile) if passfile else None

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if info.name in (".pgpass", "pgpass.conf", "pgpass"):
            return True
        return (self.passfile is not None and info.member is None
                and os.path.realpath(info.path) == self.passfile)

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        out = LineMappedText()
        for n, line in enumerate(split_lines(decode_text(data)), start=1):
            # libpq reads no comment line: it is blanked, so no form reads it either
            out.add("" if line.startswith("#") else line, n)
        if any(pgpass.parse_line(line) for line in out.lines):  # None: blank, too few ':'
            yield out.chunk(file_provenance(info, self.name, risk_flags=pgpass_risk(info)))


# --------------------------------------------------------------------------- pg_service.conf


class PgServiceReader:
    """`[service]` sections of raw `key=value` lines, passed on as they are for the service
    file signature (pg.pgservice.1), which joins each password with its section's keys."""

    name = "pg-service"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name in ("pg_service.conf", ".pg_service.conf")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        yield Chunk(data=data, provenance=file_provenance(info, self.name))


# --------------------------------------------------------------------------- .env files


def parse_dotenv(text: str) -> tuple[LineMappedText, list[Assignment]]:
    """dotenv lines as `KEY=value` with quoting undone, mapped to their original lines."""
    lines = split_lines(text)
    out = LineMappedText()
    assignments: list[Assignment] = []
    assign_re = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s?(.*)$")
    i = 0
    while i < len(lines):
        raw, n = lines[i], i + 1
        i += 1
        m = assign_re.match(raw)
        if not m or raw.lstrip().startswith("#"):
            out.add(raw, n)
            continue
        key, rest = m.group(1), m.group(2).lstrip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            # A quoted value may span lines until its closing quote.
            while _closing_quote(body, quote) < 0 and i < len(lines) and i - n < 1000:
                body += "\n" + lines[i]
                i += 1
            end = _closing_quote(body, quote)
            value = body[:end] if end >= 0 else body
            if quote == '"':
                value = _unescape_double(value)
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
        assignments.append(Assignment(key, value, n))
        out.add(f"{key}={shell_quote(value)}", n)
    return out, assignments



def _closing_quote(body: str, quote: str) -> int:
    i = 0
    while i < len(body):
        if body[i] == "\\" and quote == '"':
            i += 2
            continue
        if body[i] == quote:
            return i
        i += 1
    return -1


def _unescape_double(value: str) -> str:
    table = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), value)


def replace_lines(text: LineMappedText, uris: dict[int, str]) -> LineMappedText:
    """The text with each line that carries a joined password replaced by its URI.

    Replacing (not adding) keeps a detector that reads the raw `PGPASSWORD=` line from
    reporting the same secret a second time without its context.
    """
    out = LineMappedText()
    done: set[int] = set()
    for line, origin in zip(text.lines, text.origin, strict=True):
        if origin in uris:
            if origin not in done:
                out.add(uris[origin], origin)
                done.add(origin)
            continue
        out.add(line, origin)
    return out


class DotenvReader:
    """`.env` files: each `KEY=value` rewritten as one single-quoted shell word (dotenv
    quoting, escapes and multi-line values undone), so the env signatures read every value
    exactly and join PG*/POSTGRES_* groups themselves."""

    name = "dotenv"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        n = info.name
        return n == ".env" or n.startswith(".env.") or n.endswith(".env")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        text = decode_text(data)
        normalised, _ = parse_dotenv(text)
        out = normalised.keep_ignore_markers(split_lines(text))
        yield out.chunk(file_provenance(info, self.name))


# --------------------------------------------------------------------------- .psqlrc


class PsqlrcReader:
    """`.psqlrc`: `\\setenv PGPASSWORD …` groups joined into URIs, other lines as they are."""

    name = "psqlrc"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name in (".psqlrc", "psqlrc") or info.name.startswith(".psqlrc-")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        text = LineMappedText()
        assignments = []
        for n, line in enumerate(split_lines(decode_text(data)), start=1):
            text.add(line, n)
            m = re.match(r"^\s*\\setenv\s+(\w+)\s+(.*?)\s*$", line)
            if m:
                value = m.group(2)
                if len(value) >= 2 and value[0] == value[-1] == "'":
                    value = value[1:-1].replace("''", "'")
                assignments.append(Assignment(m.group(1), value, n))
        uris = synthesize(assignments)
        yield replace_lines(text, uris).keep_ignore_markers(text.lines).chunk(
            file_provenance(info, self.name)
        )


# --------------------------------------------------------------------------- postgresql.conf


def parse_conninfo(text: str) -> list[tuple[str, str]] | None:
    """libpq keyword/value conninfo; None where libpq would refuse it."""
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return pairs
        start = i
        while i < n and text[i] != "=" and not text[i].isspace():
            i += 1
        key = text[start:i]
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=" or not key:
            return None
        i += 1
        while i < n and text[i].isspace():
            i += 1
        value: list[str] = []
        if i < n and text[i] == "'":
            i += 1
            while i < n and text[i] != "'":
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
            if i >= n:
                return None  # unterminated quoted string
            i += 1
        else:
            while i < n and not text[i].isspace():
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
        pairs.append((key, "".join(value)))


def conninfo_uri(pairs: list[tuple[str, str]]) -> str | None:
    """The URI form of a parsed conninfo that has a password."""
    kv = dict(pairs)
    if not kv.get("password"):
        return None
    host = kv.get("host") or kv.get("hostaddr")
    port = kv.get("port")
    known = {"password", "user", "host", "hostaddr", "port", "dbname"}
    params = [(k, v) for k, v in pairs if k not in known]
    return make_uri(
        kv["password"],
        kv.get("user"),
        host.split(",") if host else [],
        port.split(",") if port else [],
        kv.get("dbname"),
        params,
    )


_GUC_RE = re.compile(r"^\s*(primary_conninfo|conninfo)\s*+=?\s*'((?:[^'\\]|''|\\.)*)'")


class PostgresqlConfReader:
    """`postgresql.auto.conf` / `postgresql.conf` / `recovery.conf`: `primary_conninfo`."""

    name = "postgresql-conf"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name in ("postgresql.auto.conf", "postgresql.conf", "recovery.conf")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        out = LineMappedText()
        lines = split_lines(decode_text(data))
        for n, line in enumerate(lines, start=1):
            m = _GUC_RE.match(line)
            if m:
                value = re.sub(r"''|\\(.)", lambda x: x.group(1) or "'", m.group(2))
                pairs = parse_conninfo(value)
                uri = conninfo_uri(pairs) if pairs is not None else None
                if uri is not None:
                    out.add(uri, n)
                    continue
            out.add(line, n)
        yield out.keep_ignore_markers(lines).chunk(file_provenance(info, self.name))


# --------------------------------------------------------------------------- notebooks


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for s in value if isinstance(s, str)]
    return []


def _cell_texts(cell: dict[str, Any]) -> tuple[list[str], list[str]]:
    source = _strings(cell.get("source"))
    outputs: list[str] = []
    for o in cell.get("outputs") or []:
        if not isinstance(o, dict):
            continue
        outputs += _strings(o.get("text"))
        data = o.get("data")
        if isinstance(data, dict):
            outputs += _strings(data.get("text/plain"))
        outputs += _strings(o.get("traceback"))
    return source, outputs


class NotebookReader:
    """Jupyter notebooks: each cell's source and text outputs, one chunk per cell.

    Lines map to the notebook file's own lines (nbformat writes one source line per JSON
    line), and the provenance names the cell (`section="cell 3"`, 1-based).
    """

    name = "notebook"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name.endswith(".ipynb")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        raw = decode_text(data)
        try:
            doc = json.loads(raw)
        except ValueError:
            yield text_chunk(info, data, self.name)
            return
        cells = doc.get("cells") if isinstance(doc, dict) else None
        if not isinstance(cells, list):  # nbformat 3 keeps cells under worksheets
            cells = [c for ws in (doc.get("worksheets") or []) if isinstance(ws, dict)
                     for c in ws.get("cells") or []] if isinstance(doc, dict) else []
        line_starts = [0]
        for m in re.finditer("\n", raw):
            line_starts.append(m.end())
        cell_start = 0
        for index, cell in enumerate(cells, start=1):
            if not isinstance(cell, dict):
                continue
            source, outputs = _cell_texts(cell)
            text = LineMappedText()
            furthest = cell_start
            for items in (source, outputs):
                cursor = cell_start
                last_line = _line_at(line_starts, cell_start)
                for s in items:
                    pos = _find_json_string(raw, s, cursor)
                    if pos >= 0:
                        cursor = pos + 1
                        furthest = max(furthest, pos)
                        last_line = _line_at(line_starts, pos)
                    text.add(s[:-1] if s.endswith("\n") else s, last_line)
            cell_start = furthest
            if text:
                yield text.chunk(file_provenance(info, self.name, section=f"cell {index}"))


def _find_json_string(raw: str, s: str, start: int) -> int:
    for ascii_only in (False, True):
        pos = raw.find(json.dumps(s, ensure_ascii=ascii_only), start)
        if pos >= 0:
            return pos
    return -1


def _line_at(line_starts: list[int], pos: int) -> int:
    import bisect

    return bisect.bisect_right(line_starts, pos)


CONFIG_READERS = (
    PgpassReader(os.environ.get("PGPASSFILE")),
    PgServiceReader(),
    PsqlrcReader(),
    DotenvReader(),
    PostgresqlConfReader(),
    NotebookReader(),
)
