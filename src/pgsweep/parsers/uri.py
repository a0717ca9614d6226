"""Parse PostgreSQL connection URIs: libpq's exactly as libpq does, and node-postgres'
`pg://` and `socket:` forms as its pg-connection-string does."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential, SecretKind
from pgsweep.parsers.interface import ParseError

# timescale/timescalegis: dj-database-url's TimescaleDB (a PostgreSQL extension) backends
SCHEME_RE = re.compile(
    r"(?i)^(postgres(?:ql)?|postgis|pgsql|timescale(?:gis)?)(\+[a-z0-9_]+)?://"
)
# node-postgres (pg-connection-string) reads any URL; these two schemes are its own.
NODE_SCHEME_RE = re.compile(r"(?i)^(?:pg://|socket:(?://)?)")
_STRIP_TRAILING = ".,;:!"
_QUOTES = "\"'"


_OPENER = {")": "(", "]": "[", "}": "{", ">": "<"}


def trim(candidate: str, closers: str = ")]}>") -> str:
    """Cut a URI candidate where surrounding text takes over: trailing
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


def percent_decode(value: str, lenient: bool = False) -> str:
    """libpq's decoding: `%XX` of either case to raw bytes; malformed `%` or `%00` is an error.
    `lenient` keeps a malformed `%` as it is (pg-connection-string re-encodes it first)."""
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
                if lenient:
                    out.append(c)
                    i += 1
                    continue
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
    node = NODE_SCHEME_RE.match(uri)
    if node:
        return _parse_node(uri, socket=node.group().lower().startswith("socket"))
    m = SCHEME_RE.match(uri)
    if not m:
        raise ParseError("not a PostgreSQL URI")
    userinfo, rest = _split_userinfo(m.group(1).lower(), uri[m.end() :])
    user = password = None
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
    parsed = ParsedCredential(password=password, user=user, hosts=hosts, ports=ports,
                              database=database)
    return _with_query(parsed, query)


def _split_userinfo(scheme: str, rest: str) -> tuple[str | None, str]:
    """The userinfo before the host list (None when there is none) and what follows it."""
    # libpq: userinfo ends at the first '@' or '/'; dj-database-url (postgis, timescale)
    # splits at the last '@'.
    first = re.search(r"[@/]", rest)
    if scheme in ("postgis", "timescale", "timescalegis"):
        head = rest.split("/", 1)[0].split("?", 1)[0]
        at = head.rfind("@")
        return (head[:at], rest[at + 1 :]) if at >= 0 else (None, rest)
    if first and first.group() == "@":
        head = rest.split("?", 1)[0]
        slash = head.find("/", first.end())
        path = head[slash:] if slash >= 0 else ""
        if "@" in path and "://" not in path and ":" in rest[: first.start()]:
            # `app:Qv7K@Jx9M/b2Wn4@db.example.com/prod`: a raw `@` and `/` in the password
            # (libpq would read host `Jx9M` and database `b2Wn4@db…`); as for a raw `/`
            # below, the password is what the application meant to send
            at = head.rfind("@")
            return rest[:at], rest[at + 1 :]
        return rest[: first.start()], rest[first.end() :]
    if (
        first
        and "@" in rest
        and ":" in rest[: first.start()]
        and ("?" not in rest or rest.index("@") < rest.index("?"))
    ):
        # A raw '/' inside the password: libpq reads no password here, but SQLAlchemy and
        # most URL libraries do; that password is what the application meant to send.
        at = rest.index("@")
        return rest[:at], rest[at + 1 :]
    return None, rest


def _with_query(parsed: ParsedCredential, query: str) -> ParsedCredential:
    """`parsed` with the query's parameters: user, password, host, port and dbname replace
    the URI's own; the others (with `ssl=true` read as sslmode=require) become params."""
    password, user, database = parsed.password, parsed.user, parsed.database
    hosts, ports = parsed.hosts, parsed.ports
    params: list[tuple[str, str]] = []
    for key, value in _query_pairs(query):
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
    return ParsedCredential(password=password, user=user, hosts=hosts, ports=ports,
                            database=database, params=tuple(params))


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """The query's key=value pairs, values percent-decoded; a pair without `=` is skipped."""
    # HTML/XML text writes the separator as &amp; (libpq itself would refuse the key)
    pairs = []
    for pair in query.replace("&amp;", "&").split("&") if query else ():
        key, sep, value = pair.partition("=")
        if sep:
            pairs.append((key, percent_decode(value)))
    return pairs


def _parse_node(uri: str, socket: bool) -> ParsedCredential:
    """node-postgres' `pg://` and `socket:` URLs (pg-connection-string): WHATWG URL parts,
    userinfo split at its last `@`, a malformed `%` kept as it is; `user`, `password` and
    `host` query parameters win; a `socket:` URL's path is the socket directory and `db` its
    database."""
    rest = uri.split(":", 1)[1].removeprefix("//")
    head, _, query = rest.partition("?")
    user = password = None
    at = head.rfind("@")
    if at >= 0 and (socket or "/" not in head[:at]):
        u, sep, p = head[:at].partition(":")
        user = percent_decode(u, lenient=True) or None
        password = percent_decode(p, lenient=True) if sep and p else None
        head = head[at + 1 :]
    if socket:
        hosts = (percent_decode(head, lenient=True),) if head else ()
        ports: tuple[str, ...] = ()
        database = None
    else:
        authority, slash, path = head.partition("/")
        host, _, port = authority.rpartition(":") if not authority.endswith("]") else (
            authority, "", "")
        if not host:
            host, port = port, ""
        host = host.strip("[]")
        hosts = (percent_decode(host, lenient=True),) if host else ()
        ports = (port,) if port else ()
        database = percent_decode(path, lenient=True) if slash and path else None
    params: list[tuple[str, str]] = []
    for pair in query.split("&") if query else ():
        key, sep, value = pair.partition("=")
        if not sep:
            continue
        value = percent_decode(value.replace("+", " "), lenient=True)
        if key == "password":
            password = value
        elif key == "user":
            user = value
        elif key == "host":
            hosts = (value,)
        elif key == "port":
            ports = (value,)
        elif key in ("db", "database") and (socket or key == "database"):
            database = value
        else:
            params.append((key, value))
    return ParsedCredential(password=password or None, user=user, hosts=hosts, ports=ports,
                            database=database, params=tuple(params))


def candidate_text(match: re.Match[str]) -> str:
    """The URI a match stands for. libpq takes every byte of the string it is given, spaces
    included (`?password=super secret` is read whole); in text, a URI that opens a quoted
    string runs to the closing quote on its line, anywhere else it ends at whitespace."""
    text, start, end = match.string, match.start(), match.end()
    quote = _quote_before(text, start)
    if quote and end < len(text) and text[end] in " \t\\|^`":
        if text.startswith("\\" + quote, end):
            return match.group(0)  # `\"`: the string is itself inside an outer one
        close = text.find(quote, end)
        newline = text.find("\n", end)
        if close > 0 and (newline < 0 or close < newline):
            return text[start:close].removesuffix("\\")
    return match.group(0)


def _is_quoted(match: re.Match[str], candidate: str) -> bool:
    """The candidate is a whole quoted string: its quotes, not prose, delimit it."""
    text, start = match.string, match.start()
    quote = _quote_before(text, start)
    return bool(quote) and text.startswith(quote, start + len(candidate))


def _quote_before(text: str, start: int) -> str:
    """The quote character that opens a string right before `start`, or ""."""
    quote = text[start - 1] if start > 0 else ""
    return quote if quote and quote in _QUOTES else ""


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser entry point: the signature's whole match is the URI candidate (a quoted one
    runs to its closing quote)."""
    candidate = candidate_text(match)
    try:
        return parse(candidate if _is_quoted(match, candidate) else trim(candidate))
    except ParseError:
        return None


# libpq's connection keywords: `missing "=" after "dbname"` is a typo, not a password.
_CONNINFO_KEYWORDS = frozenset(
    """
    host hostaddr port dbname user password passfile connect_timeout client_encoding options
    application_name fallback_application_name keepalives sslmode sslcert sslkey sslrootcert
    sslcrl sslpassword requiressl target_session_attrs load_balance_hosts service channel_binding
    gssencmode krbsrvname require_auth sslnegotiation replication
    """.split()
)
# A value that starts with a malformed escape and is letters after it: `%XXfoo`.
_BAD_ESCAPE_WORD_RE = re.compile(r"%[G-Zg-z]{1,2}[A-Za-z]*|%[0-9A-Fa-f][G-Zg-z][A-Za-z]*")


def parse_error_fragment(
    match: re.Match[str], fields: Mapping[str, str]
) -> ParsedCredential | None:
    """A libpq error that echoes part of a password: groups `port`
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
        if len(fragment) < 5 or _BAD_ESCAPE_WORD_RE.fullmatch(fragment):
            return None  # "%zz", "%1", "%XXfoo": a malformed escape, not a password
    elif g.get("word"):
        fragment = g["word"]
        if len(fragment) < 4 or "://" in fragment or fragment.lower() in _CONNINFO_KEYWORDS:
            return None  # "us", "dbname", "postgre://": a typo in the string, not a password
    elif g.get("host"):
        fragment, _, host = g["host"].rpartition("@")
    else:
        return None
    return ParsedCredential(
        password=fragment, hosts=(host,) if host else (), kind=SecretKind.PARTIAL_PASSWORD
    )
