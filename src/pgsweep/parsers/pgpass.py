"""Parse `.pgpass` / `pgpass.conf` lines exactly as libpq's passwordFromFile reads them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import literals
from pgsweep.parsers.values import scalar


def split_fields(line: str) -> list[str] | None:
    """hostname, port, database, username, password: `\\` escapes the next character in
    every field; the password ends at the first unescaped `:` (trailing fields ignored).
    None for a comment, a blank line, or a line with fewer than 4 field separators."""
    line = line.rstrip("\n")
    if line.endswith("\r"):
        line = line[:-1]
    if not line or line.startswith("#"):
        return None
    fields: list[str] = []
    cur: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:
            cur.append(line[i + 1])
            i += 2
            continue
        if ch == ":":
            fields.append("".join(cur))
            cur = []
            if len(fields) == 5:
                break
        else:
            cur.append(ch)
        i += 1
    else:
        fields.append("".join(cur))
    if len(fields) < 5:
        return None
    return fields[:5]


def _field(value: str) -> str | None:
    return None if value in ("", "*") else value


def parse_line(line: str) -> ParsedCredential | None:
    """One credential per entry line; a `*` field matches anything and is reported as absent."""
    fields = split_fields(line)
    if fields is None:
        return None
    host, port, database, user, password = fields
    return ParsedCredential(
        password=password,
        user=_field(user),
        hosts=(host,) if _field(host) else (),
        ports=(port,) if _field(port) else (),
        database=_field(database),
    )


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser entry point: the match is one whole line of a pgpass file."""
    return parse_line(match.group(0))


def parse_written_line(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser `pgpass_line`: a pgpass line outside a password file (group `line`), as code,
    a script or a guide writes it. After an opening quote (group `q`) it is a string
    literal: read as one (`\\n` ends the line), then its first line is the entry. The port
    must be `*` or a number from 1024 to 65535, and the host a host name, address or `*`."""
    line = match.group("line")
    quote = match.group("q") or ""
    if quote:
        value = literals.decode(quote + line + quote)
        line = (value if value is not None else line).split("\n", 1)[0]
    fields_ = split_fields(line)
    if fields_ is None:
        return None
    host, port = fields_[0], fields_[1]
    if port != "*" and not (port.isdigit() and 1024 <= int(port) <= 65535):
        return None
    if host.isdigit():
        return None
    return parse_line(line)


def parse_pgpass_value(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser `pgpass_value`: a pgpass line held as a value (group `line`), e.g. the `pgpass`
    key of a CloudNativePG Secret."""
    return parse_line(scalar(match.group("line")))
