"""Parse SQL role statements (`CREATE|ALTER ROLE|USER … PASSWORD '…'`) and user mappings."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential, SecretKind
from pgsweep.parsers.escapes import HEX, OCTAL, digit_run

SCRAM_RE = re.compile(
    r"SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]{43}=):([A-Za-z0-9+/]{43}=)"
)
MD5_RE = re.compile(r"md5[0-9a-f]{32}")

_E_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def unquote_literal(literal: str) -> str:
    """The value of a SQL string literal: `'…'` with `''`, or `E'…'` with backslash escapes.

    Standard strings assume standard_conforming_strings=on (the default since 9.1).
    """
    if literal[:1] in "eE":
        return _unescape_e(literal[2:-1])
    return literal[1:-1].replace("''", "'")


def _unescape_e(body: str) -> str:
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "'" and body[i + 1 : i + 2] == "'":
            out.append("'")
            i += 2
        elif ch == "\\" and i + 1 < n:
            nxt = body[i + 1]
            if nxt in OCTAL:
                j = digit_run(body, i + 1, OCTAL, 3)
                out.append(chr(int(body[i + 1 : j], 8) & 0xFF))
                i = j
            elif nxt == "x" and i + 2 < n and body[i + 2] in HEX:
                j = digit_run(body, i + 2, HEX, 2)
                out.append(chr(int(body[i + 2 : j], 16)))
                i = j
            elif nxt in "uU":
                width = 4 if nxt == "u" else 8
                digits = body[i + 2 : i + 2 + width]
                if len(digits) == width and all(c in HEX for c in digits):
                    out.append(chr(int(digits, 16)))
                    i += 2 + width
                else:
                    out.append(nxt)
                    i += 2
            else:
                out.append(_E_ESCAPES.get(nxt, nxt))
                i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def unquote_identifier(name: str) -> str:
    """A quoted identifier loses its quotes (doubled quotes become one); a bare one folds
    to lower case, as the server does."""
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        return name[1:-1].replace('""', '"')
    return name.lower()


def kind_of(value: str) -> SecretKind:
    """A pre-hashed value is stored verbatim by the server: report it as a hash."""
    if SCRAM_RE.fullmatch(value) or MD5_RE.fullmatch(value):
        return SecretKind.PASSWORD_HASH
    return SecretKind.PASSWORD


def parse_role(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Groups `role` (identifier) and `literal` (the PASSWORD string literal)."""
    literal = match.group("literal")
    if literal is None:
        return None
    value = unquote_literal(literal)
    return ParsedCredential(
        password=value, user=unquote_identifier(match.group("role")), kind=kind_of(value)
    )


_OPTION_RE = re.compile(r"""(?i)\b(user|password|host|port|dbname)\s++('(?:[^']|''){0,4096}+')""")
# Bounded runs: each CREATE SERVER is a start, and an unbounded run to the next `;` from
# every one of them would cost a long statement-free text quadratic time.
_SERVER_RE = re.compile(
    r"""(?is)\bCREATE\s++SERVER\s++(?:IF\s++NOT\s++EXISTS\s++)?("(?:[^"]|""){1,1000}+"|\w++)"""
    r"""[^;]{0,2000}?\bOPTIONS\s*+\(([^;]{0,4000}?)\)"""
)


def _options(text: str) -> dict[str, str]:
    return {k.lower(): unquote_literal(v) for k, v in _OPTION_RE.findall(text)}


def parse_user_mapping(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """postgres_fdw/dblink_fdw `CREATE USER MAPPING … SERVER s OPTIONS (user '…', password '…')`;
    host and dbname come from a `CREATE SERVER s … OPTIONS (…)` earlier in the same text."""
    opts = _options(match.group("options"))
    if "password" not in opts:
        return None
    server = unquote_identifier(match.group("server"))
    hosts: tuple[str, ...] = ()
    database = port = None
    for m in _SERVER_RE.finditer(match.string, 0, match.start()):
        if unquote_identifier(m.group(1)) == server:
            sopts = _options(m.group(2))
            hosts = tuple(sopts["host"].split(",")) if sopts.get("host") else ()
            database = sopts.get("dbname")
            port = sopts.get("port")
    return ParsedCredential(
        password=opts["password"],
        user=opts.get("user"),
        hosts=hosts,
        ports=(port,) if port else (),
        database=database,
        kind=kind_of(opts["password"]),
    )


def parse_verifier(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """A bare SCRAM verifier (pg_authid output, operator `verifier` secrets); group `role`
    holds a role name when the text shows one next to it."""
    role = match.groupdict().get("role")
    return ParsedCredential(
        password=match.group("verifier"),
        user=role or None,
        kind=SecretKind.PASSWORD_HASH,
    )
