"""Parse libpq connection URIs exactly as libpq does (shared/formats.md §1)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.models import ParsedCredential
from pgsweep.parsers.interface import ParseError

SCHEME_RE = re.compile(r"(?i)^(postgres(?:ql)?|postgis|pgsql)(\+[a-z0-9_]+)?://")
_STRIP_TRAILING = ".,;:!"


_OPENER = {")": "(", "]": "[", "}": "{"}


def trim(candidate: str, closers: str = ")]") -> str:
    """Cut a URI candidate where surrounding text takes over (formats.md §1.3): trailing
    punctuation, and each trailing closer in `closers` that has no opener left of it.

    Bracket counts are taken once and updated as characters come off the end, so a
    candidate ending in a long run of `)` costs one pass, not one count per character.
    """
    end = len(candidate)
    opened = {c: candidate.count(_OPENER[c]) for c in closers}
    closed = {c: candidate.count(c) for c in closers}
    while end:
        last = candidate[end - 1]
        if last in _STRIP_TRAILING:
            end -= 1
        elif last in closed and opened[last] < closed[last]:
            closed[last] -= 1
            end -= 1
        else:
            break
    return candidate[:end]


def percent_decode(value: str) -> str:
    """libpq's decoding: `%XX` of either case to raw bytes; malformed `%` or `%00` is an error."""
    if "%" not in value:
        return value
    out = bytearray()
    raw = value.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25:  # %
            pair = raw[i + 1 : i + 3]
            if len(pair) != 2 or not all(chr(b) in "0123456789abcdefABCDEF" for b in pair):
                raise ParseError("invalid percent-encoded token")
            byte = int(pair, 16)
            if byte == 0:
                raise ParseError("forbidden value %00 in percent-encoded value")
            out.append(byte)
            i += 3
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _decode_list(raw: list[str], strict: bool = True) -> tuple[str, ...]:
    """libpq joins the list with ',', stores it only if that is non-empty, and decodes it."""
    joined = ",".join(raw)
    if not joined:
        return ()
    try:
        return tuple(percent_decode(joined).split(","))
    except ParseError:
        if strict:
            raise
        return tuple(raw)  # a bad escape in a port: the credential still leaked


def _netloc(rest: str) -> tuple[tuple[str, ...], tuple[str, ...], int, str]:
    """libpq's host list loop (conninfo_uri_parse_options): hosts, ports, the index of the
    terminator after them, and that terminator ('/', '?' or '' at the end)."""
    hosts: list[str] = []
    ports: list[str] = []
    p, n = 0, len(rest)
    while True:
        if p < n and rest[p] == "[":
            close = rest.find("]", p + 1)
            if close < 0:
                raise ParseError("unterminated IPv6 host")
            if close == p + 1:
                raise ParseError("empty IPv6 host")
            host = rest[p + 1 : close]
            p = close + 1
            if p < n and rest[p] not in ":/?,":
                raise ParseError("unexpected character after an IPv6 host")
        else:
            start = p
            while p < n and rest[p] not in ":/?,":
                p += 1
            host = rest[start:p]
        hosts.append(host)
        prev = rest[p] if p < n else ""
        port = ""
        if prev == ":":
            p += 1
            start = p
            while p < n and rest[p] not in "/?,":
                p += 1
            port = rest[start:p]
            prev = rest[p] if p < n else ""
        ports.append(port)
        if prev != ",":
            host_list = _decode_list(hosts)
            # one port per host, '' where none is given (libpq leaves port unset if all are)
            port_list = _decode_list(ports, strict=False) or (
                ("",) * len(hosts) if host_list else ()
            )
            return host_list, port_list, p, prev
        p += 1


def parse(uri: str) -> ParsedCredential:
    """Parse a (trimmed) URI. Raises ParseError where libpq would refuse it."""
    m = SCHEME_RE.match(uri)
    if not m:
        raise ParseError("not a PostgreSQL URI")
    scheme = m.group(1).lower()
    rest = uri[m.end() :]
    user = password = None
    # libpq: userinfo ends at the first '@' or '/'; dj-database-url (postgis) splits at the
    # last '@'.
    first = re.search(r"[@/]", rest)
    if scheme == "postgis":
        head = rest.split("/", 1)[0].split("?", 1)[0]
        at = head.rfind("@")
        userinfo, rest = (head[:at], rest[at + 1 :]) if at >= 0 else (None, rest)
    elif first and first.group() == "@":
        userinfo, rest = rest[: first.start()], rest[first.end() :]
    elif (
        first
        and "@" in rest
        and ":" in rest[: first.start()]
        and ("?" not in rest or rest.index("@") < rest.index("?"))
    ):
        # A raw '/' inside the password: libpq reads no password here, but SQLAlchemy and
        # most URL libraries do; that password is what the application meant to send.
        at = rest.index("@")
        userinfo, rest = rest[:at], rest[at + 1 :]
    else:
        userinfo = None
    if userinfo is not None:
        u, sep, p = userinfo.partition(":")
        user = percent_decode(u) or None
        password = percent_decode(p) if sep and p else None  # libpq stores no empty value
    hosts, ports, end, prev = _netloc(rest)
    database = None
    query = ""
    if prev == "/":
        path, _, query = rest[end + 1 :].partition("?")
        database = percent_decode(path) or None
    elif prev == "?":
        query = rest[end + 1 :]
    params: list[tuple[str, str]] = []
    # HTML/XML text writes the separator as &amp; (libpq itself would refuse the key)
    query = query.replace("&amp;", "&")
    for pair in query.split("&") if query else ():
        key, sep, value = pair.partition("=")
        if not sep:
            continue
        value = percent_decode(value)
        if key == "password":
            password = value
        elif key == "user":
            user = value
        elif key == "host":
            hosts = tuple(value.split(","))
        elif key == "port":
            ports = tuple(value.split(","))
        elif key == "dbname":
            database = value
        else:
            if key == "ssl" and value == "true":
                key, value = "sslmode", "require"
            params.append((key, value))
    return ParsedCredential(
        password=password,
        user=user,
        hosts=hosts,
        ports=ports,
        database=database,
        params=tuple(params),
    )


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser entry point: the signature's whole match is the URI candidate."""
    try:
        return parse(trim(match.group(0)))
    except ParseError:
        return None


def parse_error_fragment(
    match: re.Match[str], fields: Mapping[str, str]
) -> ParsedCredential | None:
    """A libpq error that echoes part of a password (formats.md §1.4): groups `port`
    (the text between ':' and a raw '/' read as a port), `token` (a bad %-escape, usually the
    whole password), `word` (a word after a space in an unquoted key/value password) and
    `host` (`pass@host` read as a host name after a raw '@')."""
    g = match.groupdict()
    host = None
    if g.get("port"):
        fragment = g["port"]
        if fragment.isdigit():
            return None  # a mistyped port, not a password
    elif g.get("token"):
        fragment = g["token"]
        if len(fragment) < 5:
            return None  # "%zz", "%1": a malformed escape, not a password
    elif g.get("word"):
        fragment = g["word"]
        if len(fragment) < 4:
            return None  # "us", "app": a typo in a key/value string
    elif g.get("host"):
        fragment, _, host = g["host"].rpartition("@")
    else:
        return None
    from pgsweep.models import SecretKind

    return ParsedCredential(
        password=fragment, hosts=(host,) if host else (), kind=SecretKind.PARTIAL_PASSWORD
    )
