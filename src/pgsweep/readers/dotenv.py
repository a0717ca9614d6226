"""`.env` files: each `KEY=value` with dotenv quoting undone, as one shell word."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.envgroups import Assignment
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import (
    LineMappedText,
    decode_text,
    file_provenance,
    shell_quote,
    split_lines,
)


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


class DotenvReader:
    """`.env` files: each `KEY=value` rewritten as one single-quoted shell word (dotenv
    quoting, escapes and multi-line values undone), so the env signatures read every value
    exactly and join PG*/POSTGRES_* groups themselves."""

    name = "dotenv"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        n = info.name
        # cookiecutter-django's `.envs/.production/.postgres`: env files by their folder
        where = "/" + (info.member or info.path).replace("\\", "/")
        return n == ".env" or n.startswith(".env.") or n.endswith(".env") or "/.envs/" in where

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        text = decode_text(data)
        normalised, _ = parse_dotenv(text)
        out = normalised.keep_ignore_markers(split_lines(text))
        yield out.chunk(file_provenance(info, self.name))
