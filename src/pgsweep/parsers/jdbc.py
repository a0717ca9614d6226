"""Parse pgjdbc URLs (`jdbc:postgresql://…`) with URLDecoder semantics, and r2dbc URLs."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import dsn, uri
from pgsweep.parsers.interface import ParseError

PREFIX_RE = re.compile(r"(?i)^jdbc:postgresql:")
R2DBC_RE = re.compile(r"(?i)^r2dbc:(?:pool:)?(?=postgres(?:ql)?://)")


def url_decode(value: str) -> str:
    """java.net.URLDecoder.decode(value, UTF-8): `+` is a space, `%XX` bytes; a malformed
    escape is left as written (pgjdbc would refuse the URL; the text still leaked it)."""
    raw = value.replace("+", " ").encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and re.fullmatch(rb"[0-9A-Fa-f]{2}", raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def parse(url: str) -> ParsedCredential:
    """pgjdbc's Driver.parseURL: `jdbc:postgresql:[//host[:port][,host[:port]…]/]db[?k=v&…]`.

    Its grammar has no userinfo; `jdbc:postgresql://app:pw@host/db` still appears in the wild
    and is read like a URI (everything before the last `@` of the authority).
    """
    if not PREFIX_RE.match(url):
        raise ParseError("not a pgjdbc URL")
    rest = url[PREFIX_RE.match(url).end() :]  # type: ignore[union-attr]
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
    user = password = None
    hosts: list[str] = []
    ports: list[str] = []
    database = None
    if rest.startswith("//"):
        rest = rest[2:]
        at = rest.rfind("@", 0, rest.find("/") if "/" in rest else len(rest))
        if at < 0 and "@" in rest:
            at = rest.rfind("@")  # a raw '/' inside the password
        if at >= 0:
            userinfo, rest = rest[:at], rest[at + 1 :]
            u, sep, p = userinfo.partition(":")
            user = url_decode(u) or None
            password = url_decode(p) if sep else None
        authority, _, path = rest.partition("/")
        for part in filter(None, authority.split(",")):
            if part.startswith("["):
                h, _, tail = part[1:].partition("]")
                hosts.append(h)
                ports.append(tail[1:] if tail.startswith(":") else "")
            else:
                h, _, p2 = part.partition(":")
                hosts.append(h)
                ports.append(p2)
        database = url_decode(path) or None
    else:
        database = url_decode(rest) or None
    params: list[tuple[str, str]] = []
    for pair in filter(None, query.replace("&amp;", "&").split("&")):
        key, _, value = pair.partition("=")
        value = url_decode(value)
        if key == "user":
            user = value
        elif key == "password":
            password = value
        else:
            params.append((key, value))
    return ParsedCredential(
        password=password,
        user=user,
        hosts=tuple(hosts),
        ports=tuple(ports) if any(ports) else (),
        database=database,
        params=tuple(params),
    )


PDO_PREFIX = "pgsql:"
DBI_PREFIX = "dbi:pg:"
_DBI_DBNAME_RE = re.compile(r"(?i)(?:^|(?<=\s))(?:database|db)=")


# `${KEY:default}` (Spring), `${VAR:-default}` (shell): the URL the application uses when
# the variable is not set.
_PLACEHOLDER_DEFAULT_RE = re.compile(r"\$\{[\w.]{1,80}:-?(?P<d>[^{}$]*)\}")


def parse_any(url: str) -> ParsedCredential | None:
    """A pgjdbc, r2dbc or libpq URL, PHP PDO's `pgsql:` or Perl DBD::Pg's `dbi:Pg:` DSN;
    None when it does not parse. A .properties file escapes `:` and `=` with a backslash
    (`jdbc\\:postgresql\\://…`): undone first."""
    low = url.lower()
    if low.startswith((PDO_PREFIX, DBI_PREFIX)):
        # PDO's pgsql driver and Perl's DBD::Pg turn each `;` into a space and hand the rest
        # to libpq; DBD::Pg reads `database=` and `db=` as `dbname=`
        if low.startswith(PDO_PREFIX):
            rest = url[len(PDO_PREFIX):].replace(";", " ")
        else:
            rest = _DBI_DBNAME_RE.sub("dbname=", url[len(DBI_PREFIX):].replace(";", " "))
        try:
            return dsn.to_credential(dsn.tokenize(rest, strict=False))
        except ParseError:
            return None
    # a Spring or shell placeholder with a default is its default (`${DB_HOST:localhost}`)
    url = _PLACEHOLDER_DEFAULT_RE.sub(lambda m: m.group("d"), url)
    text = uri.trim(re.sub(r"\\([:=])", r"\1", url), closers=")]}")
    try:
        if PREFIX_RE.match(text):
            return parse(text)
        m = R2DBC_RE.match(text)
        return uri.parse(text[m.end() :] if m else text)
    except ParseError:
        return None


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser entry point: the whole match is a jdbc: or r2dbc: URL."""
    return parse_any(match.group(0))
