"""Parse libpq keyword/value conninfo strings exactly as libpq's conninfo_parse does."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import literals, uri
from pgsweep.parsers.escapes import OCTAL, digit_run, doubled_quote_body
from pgsweep.parsers.interface import ParseError

# libpq's keywords (PQconndefaults, libpq 15/16/17); an unknown key makes libpq refuse the string.
KEYWORDS = frozenset(
    """
    service user password passfile channel_binding connect_timeout dbname host hostaddr port
    client_encoding options application_name fallback_application_name keepalives
    keepalives_idle keepalives_interval keepalives_count tcp_user_timeout sslmode
    sslnegotiation sslcompression sslcert sslkey sslcertmode sslpassword sslrootcert sslcrl
    sslcrldir sslsni requirepeer require_auth ssl_min_protocol_version
    ssl_max_protocol_version gssencmode krbsrvname gsslib gssdelegation replication
    target_session_attrs load_balance_hosts requiressl
    """.split()
)

# C isspace() in the "C" locale.
_SPACE = " \t\n\v\f\r"

# Locates a run of key=value pairs in text (signatures/pg_dsn.yml holds the same pattern);
# the tokenizer below decides what it means. Values: a libpq single-quoted string, or a
# bare word with backslash escapes. The alternatives are disjoint, and nothing follows the
# final `*`, so the regex never backtracks catastrophically.
_KEYS = "(?:" + "|".join(sorted(KEYWORDS, key=len, reverse=True)) + ")"
_VALUE = r"(?:'(?:[^'\\\n]|\\.)*'|(?:[^\s'\\]|\\.)(?:[^\s\\]|\\.)*)"
LOCATE = re.compile(
    rf"(?i)(?<![\w.$-])(?:{_KEYS})[ \t]*=[ \t]*{_VALUE}"
    rf"(?:(?:[ \t]+|(?<='))(?:{_KEYS})[ \t]*=[ \t]*{_VALUE})*"
)


def tokenize(text: str, strict: bool = True,
             unknown: list[str] | None = None) -> list[tuple[str, str]]:
    """(keyword, value) pairs in order, with libpq's quoting and escapes.

    strict=True raises ParseError where libpq fails (missing "=", unterminated quoted
    string, unknown keyword); strict=False skips unknown keywords and returns the pairs
    read before a syntax error, which is what a scanner wants from text around a DSN.
    """
    pairs: list[tuple[str, str]] = []
    i = _skip_space(text, 0)
    while i < len(text):
        name, i = _read_name(text, i)
        if i >= len(text) or text[i] != "=":
            if strict:
                raise ParseError(f'missing "=" after "{name}" in connection info string')
            return pairs
        i = _skip_space(text, i + 1)
        if text.startswith("'", i):
            value, i = _read_quoted(text, i + 1)
            if value is None:
                if strict:
                    raise ParseError("unterminated quoted string in connection info string")
                return pairs
        else:
            value, i = _read_bare(text, i)
        if name in KEYWORDS:
            pairs.append((name, value))
        elif strict:
            raise ParseError(f'invalid connection option "{name}"')
        elif unknown is not None:
            unknown.append(name)
        # lenient: text around a DSN (`FOO=bar psql "..."`) holds other words; skip them
        i = _skip_space(text, i)
    return pairs


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _read_name(text: str, i: int) -> tuple[str, int]:
    """A keyword (up to `=` or white space) and the index after it and any white space."""
    start = i
    while i < len(text) and text[i] != "=" and text[i] not in _SPACE:
        i += 1
    return text[start:i], _skip_space(text, i)


def _read_quoted(text: str, i: int) -> tuple[str | None, int]:
    """A single-quoted value's body from `i` (after the quote) and the index after its
    closing quote; None when the quote is never closed."""
    value, i, closed = _read_escaped(text, i, "'")
    return (value if closed else None), i


def _read_bare(text: str, i: int) -> tuple[str, int]:
    """An unquoted value up to white space (consumed), and the index after it."""
    value, i, _ = _read_escaped(text, i, _SPACE)
    return value, i


def _read_escaped(text: str, i: int, stop: str) -> tuple[str, int, bool]:
    """Characters from `i` up to one in `stop`, a backslash taking the next character as it
    is: the value, the index after the stop character, and whether one was found."""
    value: list[str] = []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in stop:
            return "".join(value), i + 1, True
        if ch == "\\":
            i += 1
            if i >= n:
                break
            ch = text[i]
        value.append(ch)
        i += 1
    return "".join(value), i, False


def quote(value: str) -> str:
    """The libpq-quoted form of a value (always single-quoted, `\\` and `'` escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_credential(pairs: list[tuple[str, str]]) -> ParsedCredential:
    """Fold pairs into a credential; later keys win, as in libpq."""
    values: dict[str, str] = {}
    for k, v in pairs:
        values[k] = v
    dbname = values.get("dbname")
    nested: ParsedCredential | None = None
    if dbname and uri.SCHEME_RE.match(dbname):
        # libpq expands a URI in dbname at connect time; its parts fill the gaps.
        try:
            nested = uri.parse(dbname)
        except ParseError:
            nested = None
    hosts = tuple(values["host"].split(",")) if values.get("host") else ()
    if not hosts and values.get("hostaddr"):
        hosts = tuple(values["hostaddr"].split(","))
    ports = tuple(values["port"].split(",")) if values.get("port") else ()
    params = tuple(
        (k, v) for k, v in values.items() if k not in ("password", "user", "host", "port", "dbname")
    )
    password = values.get("password")
    user = values.get("user")
    database = dbname
    if nested is not None:
        password = password if password is not None else nested.password
        user = user or nested.user
        hosts = hosts or nested.hosts
        ports = ports or nested.ports
        database = nested.database
    return ParsedCredential(
        password=password, user=user, hosts=hosts, ports=ports, database=database, params=params
    )


def parse(text: str, strict: bool = True) -> ParsedCredential:
    """Parse a whole conninfo string."""
    return to_credential(tokenize(text, strict=strict))


_GUC_RE = re.compile(r"(?i)conninfo\s*+=?\s*'$")


_GUC_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def guc_unescape(text: str, start: int) -> str:
    """The body of a postgresql.conf string value that starts at `start` (after its quote).

    GUC_scanstr rules: `''` is a quote; backslash-x is x, except \b \f \n \r \t and octal.
    ALTER SYSTEM writes postgresql.auto.conf by doubling quotes and backslashes.
    """
    return doubled_quote_body(text, start, "'", escape=_guc_escape, ends="\n")[0]


def _guc_escape(text: str, i: int) -> tuple[str, int] | None:
    if i + 1 >= len(text):
        return None
    nxt = text[i + 1]
    if nxt in OCTAL:
        j = digit_run(text, i + 1, OCTAL, 3)
        return chr(int(text[i + 1 : j], 8)), j
    return _GUC_ESCAPES.get(nxt, nxt), i + 2


def _code_string(text: str, start: int) -> str | None:
    """A double-quoted string holding `\\\\` or `\\"`, with those undone for libpq to parse
    next: the escapes every language's double quotes share (Go, Java, C#, JavaScript,
    Python, Ruby, a shell's), so `"password='it\\\\'s'"` holds `password='it\\'s'`. None
    for any other string, a raw one (`r"…"`, C#'s `@"…"`) or one not closed on its line
    within `_STRING_REACH` characters (bounded work per match on a long line)."""
    if start >= 2 and text[start - 2] in "rR@" and not text[start - 3 : start - 2].isalnum():
        return None
    reach = min(len(text), start + _STRING_REACH)
    line_end = text.find("\n", start, reach)
    body = literals.quoted_body(text[: reach if line_end < 0 else line_end], start, '"',
                                escapes=True)
    if body is None or ("\\\\" not in body and '\\"' not in body):
        return None
    return _SHARED_ESCAPE_RE.sub(r"\1", body)


# `\\` and `\"`: what a backslash escapes in every language's double-quoted strings
_SHARED_ESCAPE_RE = re.compile(r'\\([\\"])')


def enclosed(text: str, start: int, end: int) -> str:
    """The located DSN, cut at the closing quote when a code string or shell word encloses it.

    In postgresql.conf / postgresql.auto.conf (`primary_conninfo = '...'`) the value is a
    GUC string, where a quote inside is doubled: undo that before libpq's own parsing.
    """
    opener = text[start - 1] if start > 0 else ""
    if opener == "'" and _GUC_RE.search(text, max(0, start - 40), start):
        return guc_unescape(text, start)
    if opener == '"':
        value = _code_string(text, start)
        if value is not None:
            return value
    candidate = text[start:end]
    if opener in "\"'`" and opener:
        close = candidate.find(opener)
        if close >= 0:
            candidate = candidate[:close]
    return candidate


# how far either side of a match the string holding it is looked for (bounded work per match)
_STRING_REACH = 2000


def _decoded_string_around(text: str, pos: int) -> str:
    """The value of the double-quoted code string that holds `pos` on its line (C-family
    escapes read), or "" when `pos` is in none."""
    lo = text.rfind("\n", max(0, pos - _STRING_REACH), pos) + 1 or max(0, pos - _STRING_REACH)
    hi = text.find("\n", pos, pos + _STRING_REACH)
    line = text[lo : pos + _STRING_REACH if hi < 0 else hi]
    # the quotes before `pos` not escaped by a backslash: an odd count opens a string
    at = pos - lo
    if (line.count('"', 0, at) - line.count('\\"', 0, at)) % 2 == 0:
        return ""
    last = line.rfind('"', 0, at)
    while last > 0 and line[last - 1] == "\\":
        last = line.rfind('"', 0, last)
    body = literals.quoted_body(line, last + 1, '"', escapes=True)
    value = None if body is None else literals.decode('"' + body + '"')
    return value or ""


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser entry point: a located key=value run; needs a password and one other key."""
    text = enclosed(match.string, match.start(), match.end())
    pairs = tokenize(text, strict=False)
    keys = {k for k, _ in pairs}
    if not keys - {"user", "password"} and _other_drivers_keys(match):
        return None
    # `" user\t=\r\nfoo password = x "`: the code string's own escapes hid keys before the
    # match from the locating regex; read the whole string as its language does
    decoded = tokenize(_decoded_string_around(match.string, match.start()), strict=False)
    if len({k for k, _ in decoded} | keys) > len(keys) and "password" in dict(decoded):
        pairs, keys = decoded, {k for k, _ in decoded}
    if "password" not in keys or len(keys) < 2:
        return None
    # `user = User(name='x', password='y')` and `f(password=pw, user=u)` are code, not a
    # conninfo string: real DSN values hold no call parentheses and end in no argument comma.
    if any(_CODE_VALUE_RE.search(v) for _, v in pairs):
        return None
    # `password= port=5432`: libpq reads password="port=5432", but the author left it empty
    if any(k == "password" and _is_trap(v) for k, v in pairs):
        return None
    return to_credential(pairs)


# How far past a match `_other_drivers_keys` reads: another driver's keys sit beside it.
_OTHER_KEYS_REACH = 256
_LINE_END_RE = re.compile(r"[\r\n]")


def _other_drivers_keys(match: re.Match[str]) -> bool:
    """`user="larry" password="x" connectString="localhost:1521/orcl"`: keys libpq refuses
    on the match's line make another driver's string (with only user and password of
    libpq's own). Read at most `_OTHER_KEYS_REACH` characters past the match, so a long
    line of matches (`password=x` in CR-separated text) costs each match the same."""
    text = match.string
    reach = min(len(text), match.end() + _OTHER_KEYS_REACH)
    line_end = _LINE_END_RE.search(text, match.end(), reach)
    unknown: list[str] = []
    tokenize(enclosed(text, match.start(), reach if line_end is None else line_end.start()),
             strict=False, unknown=unknown)
    return bool(unknown)


_CODE_VALUE_RE = re.compile(r"[(]|[),;]$")
_TRAP_RE = re.compile(r"^([a-z_]+)=")


def _is_trap(value: str) -> bool:
    m = _TRAP_RE.match(value)
    return m is not None and m.group(1) in KEYWORDS
