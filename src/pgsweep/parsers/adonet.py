"""Parse Npgsql / ADO.NET connection strings and decide whether they point at PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import literals

# Npgsql's synonyms (keys compare case-insensitively, spaces ignored).
HOST_KEYS = frozenset({"host", "server"})
USER_KEYS = frozenset({"username", "userid", "user", "uid"})
PASSWORD_KEYS = frozenset({"password", "pwd", "psw"})
DATABASE_KEYS = frozenset({"database", "db"})
# Keys that PostgreSQL drivers do not have: SQL Server, MySQL, ODBC/OLE DB, Oracle.
FOREIGN_KEYS = frozenset(
    """
    initialcatalog datasource integratedsecurity trustedconnection multipleactiveresultsets
    encrypt applicationintent multisubnetfailover attachdbfilename failoverpartner
    driver provider dsn allowuservariables charset characterset convertzerodatetime
    allowzerodatetime treattinyasboolean allowpublickeyretrieval sslca oldguids
    """.split()
)
# Keys only Npgsql has: enough on their own to call the string PostgreSQL's.
NPGSQL_KEYS = frozenset(
    """
    searchpath servercompatibilitymode includeerrordetail rootcertificate passfile
    kerberosservicename targetsessionattributes loadbalancehosts multiplexing
    maxautoprepare autoprepareminusages keepalive tcpkeepalive includerealm
    """.split()
)
PG_PORTS = frozenset({"5432", "5433", "6432", "25060"})
_PG_HOST_RE = re.compile(
    r"(?i)postgres|(^|[.-])pg([.-]|\d|$)|psql|npgsql|\.neon\.tech$|supabase\.(co|com)$|"
    r"\.postgres\.database\.azure\.com$|aivencloud|render\.com$"
)
_PG_CONTEXT_RE = re.compile(r"(?i)npgsql|postgres|\bpgsql\b")
# Npgsql's own API named nearby: a string without Host/Server then connects to localhost
_NPGSQL_API_RE = re.compile(
    r"Npgsql(?:Connection|DataSource|ConnectionStringBuilder)\b|UseNpgsql\b"
)


def normalize_key(key: str) -> str:
    return "".join(key.split()).lower().replace("_", "")


def split_pairs(text: str) -> list[tuple[str, str]]:
    """DbConnectionStringBuilder rules: pairs separated by `;`, `key=value`, `==` in a key
    is a literal `=`, values trimmed, and a value starting with `"` or `'` is quoted with
    the quote doubled inside (`Password="p;""x"` is `p;"x`)."""
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t;":
            i += 1
        if i >= n:
            break
        key: list[str] = []
        while i < n:
            if text[i] == "=":
                if text[i + 1 : i + 2] == "=":
                    key.append("=")
                    i += 2
                    continue
                break
            if text[i] == ";":
                break
            key.append(text[i])
            i += 1
        if i >= n or text[i] != "=":
            continue  # a word without a value: ignored
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            q = text[i]
            i += 1
            val: list[str] = []
            while i < n:
                if text[i] == q:
                    if text[i + 1 : i + 2] == q:
                        val.append(q)
                        i += 2
                        continue
                    i += 1
                    break
                val.append(text[i])
                i += 1
            value = "".join(val)
            while i < n and text[i] != ";":
                i += 1
        else:
            end = text.find(";", i)
            end = n if end < 0 else end
            value = text[i:end].strip()
            i = end
        pairs.append(("".join(key).strip(), value))
    return pairs


def is_postgres(keys: Mapping[str, str], context: str = "") -> bool:
    """Host/Server, a user and a password, no foreign driver's keys, and some sign of
    PostgreSQL: a Host key, an Npgsql-only key, a PostgreSQL port or host name, or the
    words Npgsql/postgres in the surrounding text. Without Host/Server, only when Npgsql's
    API (`NpgsqlConnection`, `NpgsqlDataSource`, `UseNpgsql`…) is named around it."""
    if not (USER_KEYS & keys.keys() and PASSWORD_KEYS & keys.keys()):
        return False
    if not HOST_KEYS & keys.keys():
        # Npgsql without Host/Server connects to localhost: PostgreSQL's only when its API
        # is named around the string
        return not FOREIGN_KEYS & keys.keys() and _NPGSQL_API_RE.search(context) is not None
    if FOREIGN_KEYS & keys.keys():
        return False
    port = keys.get("port", "")
    if port in ("3306", "1433", "1521"):
        return False
    host = next((keys[k] for k in ("host", "server") if k in keys), "")
    return bool(
        "host" in keys
        or "username" in keys
        or NPGSQL_KEYS & keys.keys()
        or port in PG_PORTS
        or _PG_HOST_RE.search(host.split(",")[0].split(":")[0])
        or _PG_CONTEXT_RE.search(context)
    )


def to_credential(pairs: list[tuple[str, str]]) -> ParsedCredential:
    keys: dict[str, str] = {}
    params: list[tuple[str, str]] = []
    for k, v in pairs:
        nk = normalize_key(k)
        keys[nk] = v
    host = next((keys[k] for k in ("host", "server") if k in keys), None)
    if host is None:
        host = "localhost"  # Npgsql's default
    user = next((keys[k] for k in ("username", "userid", "user", "uid") if k in keys), None)
    password = next((keys[k] for k in ("password", "pwd", "psw") if k in keys), None)
    database = next((keys[k] for k in ("database", "db") if k in keys), None)
    hosts: list[str] = []
    ports: list[str] = []
    for part in filter(None, (h.strip() for h in host.split(","))):
        # Npgsql multi-host: Host=h1:5433,h2 ; a bracketed IPv6 literal keeps its colons.
        if part.startswith("["):
            h, _, rest = part[1:].partition("]")
            hosts.append(h)
            ports.append(rest[1:] if rest.startswith(":") else keys.get("port", ""))
        elif part.count(":") == 1:
            h, _, p = part.partition(":")
            hosts.append(h)
            ports.append(p)
        else:
            hosts.append(part)
            ports.append(keys.get("port", ""))
    for k, v in pairs:
        nk = normalize_key(k)
        if nk in ("sslmode", "searchpath", "targetsessionattributes", "passfile"):
            params.append((nk, v))
    return ParsedCredential(
        password=password,
        user=user,
        hosts=tuple(hosts),
        ports=tuple(p for p in ports) if any(ports) else (),
        database=database,
        params=tuple(params),
    )


_ENV_PREFIX_RE = re.compile(r"(?i)^[\w.:-]*connection_?strings?\w*\s*[=:]\s*")


def parse(text: str, context: str = "") -> ParsedCredential | None:
    """A credential when `text` is a PostgreSQL connection string with a password."""
    # `ConnectionStrings__Main=Host=…` (env var) or `ConnectionString: Host=…`
    pairs = split_pairs(_ENV_PREFIX_RE.sub("", text, count=1))
    keys = {normalize_key(k): v for k, v in pairs}
    if not is_postgres(keys, context):
        return None
    return to_credential(pairs)


_LEFT_STOPS = frozenset("\"'`<>\n")


def extend_left(text: str, start: int) -> int:
    """Where the connection string holding the pair at `start` begins: after the enclosing
    quote, tag bracket or line start (at most 4000 characters back)."""
    i = start
    floor = max(0, start - 4000)
    while i > floor and text[i - 1] not in _LEFT_STOPS:
        i -= 1
    return i


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser entry point: the match runs from the password key to the string's end; the
    pairs before it are read back to the enclosing quote; the window is the context."""
    text = match.string
    begin = extend_left(text, match.start())
    candidate = text[begin : match.end()]
    opener = text[begin - 1] if begin > 0 else ""
    if opener == '"' and text[begin - 2 : begin - 1] == "@":
        # a C# verbatim string: `""` is a quote, backslashes are literal
        line_end = text.find("\n", begin)
        value = literals.decode(text[begin - 2 : len(text) if line_end < 0 else line_end], "csharp")
        if value is not None:
            return parse(value, text)
    if opener and opener in "'`":
        # a string in Python/JS/SQL quotes ends at the same quote (it cannot hold one)
        close = candidate.find(opener, match.start() - begin)
        if close >= 0:
            candidate = candidate[:close]
    return parse(candidate, text)
