"""Parse a password written in code or config with its user and host around it: driver
call arguments, option objects, struct literals, constants, setters, XML properties, and
YAML/JSON/INI/TOML blocks.

The signature's regex captures the password literal (group `password`, or `password2`,
`password3` for other syntaxes; optional groups `user`, `host`, `database`, `url` for
positional arguments). This parser

1. reads the literal as its language reads it (`parsers.literals`; option `lang`), and
   refuses a bare word where code would have written a variable (`password=pw` inside a
   call or object, `PASSWORD = secret_value`) unless the window assigns that variable a
   literal (`const pw = "…"`);
2. finds the structure holding it (`parsers.structure`: the call or object, the indented
   block, the `[section]`, or the window; option `scope: window` reads the whole window);
3. decides whether it is PostgreSQL's, by this rule, from the innermost structure outward
   (two levels) and then the window:
   - another database or service named in the structure (`mysql`, `mongo`, `redis`,
     `snowflake`, `smtp`, `sqlserver`, ports 3306/1433/1521/6379/27017…) → not PostgreSQL;
   - PostgreSQL named in the structure (`postgres…`, `pgsql`, a PostgreSQL driver such as
     psycopg, asyncpg, pg8000, aiopg, node-postgres `'pg'` and `new ConnectionParameters`,
     pgx, lib/pq, pgjdbc, Npgsql, ruby-pg `PG.connect`, sqlx `PgConnectOptions`, Postgrex, psql,
     psycopg's `make_conninfo`/`make_dsn`,
     port 5432/6432, a `jdbc:postgresql:` URL, a `dbi:Pg:` DSN, an Ecto `App.Repo` config)
     → PostgreSQL;
   - a structure that names its own kind (`type:`, `driver:`, `adapter:`, `dialect:`,
     `client:`, `engine:`) as something else stops the walk outward;
   - a password key whose own name says PostgreSQL (`POSTGRES_PW`, `PG_PASS`) in a window
     that names it and no other database counts as its structure saying so;
   - otherwise the window must name PostgreSQL and no other database, and a host must sit
     beside the password (a host key in the structure, or a PostgreSQL URL), or a user
     in the arguments of a connect call (`self.connect(user=…, password=…)`) or, with
     option `user_places`, anywhere beside it (a builder chain `.user("u").password("p")`);
4. takes user, host, port and database from the nearest sibling keys in the structure
   (in an Ansible `postgresql_user` task or `postgresql_users:` item, the role's `name:`
   is the user, its `login_*` keys the administrator's)
   (`user`, `username`, `User`, `setUser("…")`, `.user("…")`, `("user", "…")`,
   `<user>…</user>`, `name="…username" value="…"`, any prefix: `DB_USER`, `flywayUser`,
   `hibernate.connection.username`), then from a PostgreSQL URL in the structure, the one
   holding it, or the window (the nearest one no other `{…}` record holds); a password
   with neither a user nor a host is reported only when a PostgreSQL call or object
   holds it (`make_conninfo(dsn, password="…")`, `new pg.Pool({password: "…"})`: libpq's
   default user on its default host).

Npgsql-style `Host:Port` values and Go's `Addr: "h:5432"` are split.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import jdbc, literals, structure
from pgsweep.parsers.nearby import URL_RE, key_prefix
from pgsweep.parsers.password_keys import (
    key_at,
    key_names_password,
    key_names_postgres,
    password_key_at,
)
from pgsweep.parsers.siblings import QUOTED_RE, REFERENCE_RE, nearest_siblings, value
from pgsweep.parsers.sql import kind_of
from pgsweep.parsers.structure import Scope, is_connect_call, is_key_material_call, scopes
from pgsweep.parsers.values import scalar
from pgsweep.parsers.wrapped import WRAPPED

FOREIGN_RE = re.compile(
    r"(?i)mysql|mariadb|myxql|mongo|redis|\bmssql|pymssql|sqlserver|\bSqlConnection|"
    r"sqlclient|sqlite|\boracle|snowflake|redshift|bigquery|clickhouse|cassandra|"
    r"\bsmtp|\bldap|elasticsearch|rabbitmq|\bamqp|\bkafka|\bftp\b|\bimap|Ecto\.Adapters\.Tds|"
    r"(?<![\w.])(?:3306|1433|1521|6379|27017|9200|5672)\b"
)
PG_RE = re.compile(
    r"(?i)postgres|postgis|pgsql|psycopg|asyncpg|pg8000|aiopg|npgsql|\bpgx\b|pgxpool|pgconn|"
    r"lib/pq|jackc|org\.postgresql|postgrex|\bdbi:pg:|\bpsql\b|epgsql|pqsetdblogin|pqconnectdb|"
    r"\bmake_(?:conninfo|dsn)\b|"
    r"(?<![\w.])(?:5432|6432)\b|"
    r"""(?-i:\bPG(?:::Connection|\.connect)|\bPG\w*DataSource|\bpg\.(?:Pool|Client|Options|Connect|connect)\b)|"""
    r"(?-i:\bnew[ \t]+ConnectionParameters\b|\bPg(?:Connect|Pool)Options\b)|"
    r"""["'`]pg(?:/[\w/.-]*)?["'`]|\bpg_?(?:host|user|port|database)\b|\bpg_p?connect\b|"""
    r"(?-i:\b[A-Z]\w*\.Repo\b)"
)
# a structure that names its own kind: `type: snowflake`, `driver: mysql`, `adapter: …`
_KIND_RE = re.compile(
    r"""(?im)(?:^|[\s{,("'])["']?(?:type|driver|adapter|dialect|client|engine|drivername)["']?"""
    r"""[ \t]*(?:=>|[:=])[ \t]*(?P<v>[^\n,}]{1,80})"""
)
_IDENT_RE = re.compile(r"[A-Za-z_][\w.]*")
# a bare code expression: `$stdin.gets.strip`, `@config.password`, `self.pw`, `opts[:pw]`
_EXPRESSION_RE = re.compile(r"[$@]{1,2}[A-Za-z_][\w.]*|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_ENV_LEAD_RE = re.compile(f"{WRAPPED}$")
_PAIR_RE = re.compile(r"[A-Za-z_]\w*=")
_BASE64_BLOCK_RE = re.compile(r"[ \t]*(?:data|binaryData):[ \t]*$", re.MULTILINE)


# Perl DBD::Pg and PHP PDO DSNs: `dbi:Pg:dbname=…;host=…`, `pgsql:host=…;dbname=…`
_DSN_RE = re.compile(r"(?i)\b(?:dbi:pg|pgsql):(?!/)[^\s\"'`<>{}|\\^]+")


@functools.lru_cache(maxsize=64)
def _url(text: str, lo: int, hi: int) -> ParsedCredential | None:
    """The first PostgreSQL URL in text[lo:hi], else its first DBI or PDO DSN."""
    low = text[lo:hi].lower()
    m = URL_RE.search(text, lo, hi) if "postgres" in low else None  # URL_RE needs the word
    if m is None and ("dbi:pg:" in low or "pgsql:" in low):
        m = _DSN_RE.search(text, lo, hi)
    if m is None or text.startswith("{", m.end()):
        return None  # none, or one cut at an interpolation (`@#{host}:9000`): a template
    return jdbc.parse_any(m.group(0))


@functools.lru_cache(maxsize=16)
def _url_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where each PostgreSQL URL of the window is."""
    if "postgres" not in text.lower():
        return ()
    return tuple(m.span() for m in URL_RE.finditer(text))


def _url_around(text: str, found: list[Scope], pos: int) -> ParsedCredential | None:
    """The URL of the password's own structure, else of the one holding it, else the URL of
    the window nearest to it that no other record holds (a test table's neighbouring record
    has its own), else the window's first DBI or PDO DSN."""
    for scope in found:
        if scope.kind != "window" and (url := _url(text, scope.head, scope.end)) is not None:
            return url
    spans = [span for span in _url_spans(text) if _shares_record(text, span[0], pos)]
    if spans:
        lo, hi = min(spans, key=lambda span: abs(span[0] - pos))
        return _url(text, lo, hi)
    low = _window_lower(text)
    m = _DSN_RE.search(text) if "dbi:pg:" in low or "pgsql:" in low else None
    return jdbc.parse_any(m.group(0)) if m else None


def _shares_record(text: str, at: int, pos: int) -> bool:
    """Offset `at` is in no record (`{…}`: an object, dict or struct) that does not also
    hold `pos`: a neighbouring record of a test table is another credential's, a setter
    call beside the password (`.setJdbcUrl("…")`) is not."""
    holding = structure.bracket_scopes(text, at, levels=1)
    if not holding or holding[0].start <= pos <= holding[0].end:
        return True
    return text[holding[0].start - 1] != "{"


# Literal gates in front of FOREIGN_RE / PG_RE: each of their alternatives contains one of
# these (lower-cased) words, so a text holding none of them cannot match and the regexes,
# slow over a 64 KiB window, are skipped.
_FOREIGN_GATE = (
    "mysql", "mariadb", "myxql", "mongo", "redis", "mssql", "sqlserver", "sqlconnection",
    "sqlclient", "sqlite", "oracle", "snowflake", "redshift", "bigquery", "clickhouse",
    "cassandra", "smtp", "ldap", "elasticsearch", "rabbitmq", "amqp", "kafka", "ftp", "imap",
    "tds", "3306", "1433", "1521", "6379", "27017", "9200", "5672",
)
# words that are whole PG_RE alternatives: present means PostgreSQL is named
_PG_WORDS = (
    "postgres", "postgis", "pgsql", "psycopg", "asyncpg", "pg8000", "aiopg", "npgsql",
    "pgxpool", "pgconn", "lib/pq", "jackc", "org.postgresql", "postgrex", "dbi:pg:",
    "epgsql", "pqsetdblogin", "pqconnectdb",
)
_PG_GATE = (
    "pg", "psql", "5432", "6432", ".repo", "connectionparameters", "make_conninfo", "make_dsn",
)


def _names_foreign(low: str, text: str) -> bool:
    return any(w in low for w in _FOREIGN_GATE) and FOREIGN_RE.search(text) is not None


def _names_postgres(low: str, text: str) -> bool:
    if any(w in low for w in _PG_WORDS):
        return True
    return any(w in low for w in _PG_GATE) and PG_RE.search(text) is not None


@functools.lru_cache(maxsize=256)
def _region_verdict(text: str, head: int, start: int, end: int) -> bool | None:
    """True/False when the structure text[head:end] decides PostgreSQL, None when not."""
    region = text[head:end]
    low = region.lower()
    if _names_foreign(low, region):
        return False
    if _names_postgres(low, region):
        return True
    kind = _KIND_RE.search(text, start, end)
    if kind is not None and not PG_RE.search(kind.group("v")):
        return False
    return None


@functools.lru_cache(maxsize=16)
def _window_lower(text: str) -> str:
    return text.lower()


@functools.lru_cache(maxsize=16)
def _window_postgres(text: str) -> bool:
    """PostgreSQL named anywhere in the window."""
    return _names_postgres(_window_lower(text), text)


@functools.lru_cache(maxsize=16)
def _window_foreign(text: str) -> bool:
    """Another database named anywhere in the window."""
    return _names_foreign(_window_lower(text), text)


def _window_verdict(text: str) -> bool:
    return _window_postgres(text) and not _window_foreign(text)


def is_postgres_context(text: str, found: list[Scope]) -> tuple[bool, bool]:
    """(PostgreSQL?, decided by the structure itself?) for a password held by `found`
    (innermost first) in the window `text`; the rule is in the module docstring."""
    for scope in found:
        if scope.kind == "window":
            break
        verdict = _region_verdict(text, scope.head, scope.start, scope.end)
        if verdict is not None:
            return verdict, True
    return _window_verdict(text), False


# Ansible: the community.postgresql `postgresql_user` module and the roles' `postgresql_users:`
# lists create the role named by `name:` with `password:`; `login_*` keys are the
# administrator's connection, not this role
_ANSIBLE_HEAD_RE = re.compile(r"[ \t]*-?[ \t]*(?:[\w.]+\.)?postgresql_users?:[ \t]*")
_ROLE_NAME_RE = re.compile(
    r"""(?m)^[ \t]*-?[ \t]*(?:name|user):[ \t]*(?P<v>"[^"\n]*"|'[^'\n]*'|[^\s#]+)"""
)


def ansible_role(text: str, found: list[Scope]) -> str | None:
    """The role an Ansible `postgresql_user` task or a `postgresql_users:` list item
    creates with the password `found` holds: its `name:`, else None (not such a block)."""
    for i, scope in enumerate(found[:2]):
        if scope.kind != "indent":
            break
        if _ANSIBLE_HEAD_RE.fullmatch(text, scope.head, scope.start):
            item = found[i - 1] if i else scope  # a list item's own block, `- name:` first
            m = _ROLE_NAME_RE.search(text, item.head, item.end)
            return scalar(m.group("v")) if m else None
    return None


_TOKEN_RE = re.compile(r"[\w.-]+")


def _own_prefix(text: str, lo: int, value_start: int, key: str) -> str | None:
    """The password key's prefix (`patroni_superuser_` of `PATRONI_SUPERUSER_PASSWORD`):
    of the key before the match, else of a key the match itself writes before the value
    (`os.environ['PATRONI_SUPERUSER_PASSWORD'] = …`)."""
    own = key_prefix(key)
    for token in _TOKEN_RE.findall(text, lo, value_start) if own is None else ():
        own = own or key_prefix(token)
    return own


def _split_host(host: str, port: str | None) -> tuple[str, str | None]:
    h, sep, p = host.rpartition(":")
    if sep and h and p.isdigit() and ":" not in h:
        return h, port or p
    return host, port


def _is_code_reference(raw: str, text: str, start: int, scope: Scope) -> bool:
    """A bare word where code would write a variable or a number: inside a call or object,
    or after ` = ` outside any `[section]` (`PASSWORD = secret_value`, `AUTH_PASSWORD = 3`);
    and a line continuation (`alter_password = \\`: the value is on the next line)."""
    if QUOTED_RE.match(raw):
        return False
    if raw == "\\":
        return True
    if scope.kind == "brackets":
        return True
    bare = raw.strip()
    code_assignment = text[max(0, start - 3) : start].endswith((" = ", " =", "= "))
    if scope.kind != "section" and code_assignment and _EXPRESSION_RE.fullmatch(bare):
        return True  # `password = $stdin.gets.strip`, `password = config.db.pw`
    if scope.kind == "section" or not (_IDENT_RE.fullmatch(bare) or bare.isdigit()):
        return False
    # `PASSWORD = secret_value`, and `AUTH_REQ_PASSWORD = 3`: a number in code is no string
    before = text[max(0, start - 3) : start]
    return before.endswith((" = ", " =", "= "))


def _opened_by_postgres(text: str, scope: Scope) -> bool:
    """`scope` is the arguments or object of a call whose opening line names PostgreSQL
    (`make_conninfo(dsn, …)`, `new pg.Pool({`, `new NpgsqlConnectionStringBuilder(cs) {`),
    not a function body that merely mentions it."""
    if scope.kind != "brackets":
        return False
    opening = text[scope.head : scope.start]
    return _names_postgres(opening.lower(), opening)


# a literal that code concatenates with more (`"…" + suffix`, `prefix + "…"`, PHP's `"…" . $x`)
_CONCAT_AROUND_RE = re.compile(r"""[ \t]*(?:\+(?![+=])|\.[ \t]*\$)""")
_CONCAT_BEFORE_RE = re.compile(r"""(?:[\w)\]][ \t]*\+|\$\w+[ \t]*\.)[ \t]*$""")


def _literal_of(
    raw: str, text: str, start: int, scope: Scope, shorthand: bool = False
) -> str | None:
    """The literal the password value is: itself, or for a variable inside a call or
    object (`password: password`) the literal the window assigns to it (`const password =
    '…'`, as `parsers.literals.assigned_literal` finds it); None for code, and for a literal
    that code concatenates with more. With `shorthand` the match is a property written
    as its variable's name alone (`new pg.Pool({ user, password })`): only its literal counts."""
    if _CONCAT_AROUND_RE.match(text, start + len(raw)) or _CONCAT_BEFORE_RE.search(
            text, max(0, start - 8), start):
        return None  # `"t0pSecret" + randomSuffix()`: the literal is part of the value
    if not shorthand and not _is_code_reference(raw, text, start, scope):
        return raw
    name = raw.strip()
    if scope.kind != "brackets" or _IDENT_RE.fullmatch(name) is None or "." in name:
        return None
    return literals.assigned_literal(text, name)


def _inside_string(text: str, key_start: int, value_start: int) -> bool:
    """`"pwd="`, `("dbname=sony password=", {…})`: the key sits inside a string literal
    (an odd number of unescaped quotes before it on its line) that the value's quote closes."""
    quote = text[value_start : value_start + 1]
    if quote not in ("\"", "'", "`") or quote in text[key_start:value_start]:
        return False
    before = text[text.rfind("\n", 0, key_start) + 1 : key_start]
    return (before.count(quote) - before.count("\\" + quote)) % 2 == 1


def _holds_no_db_password(text: str, scope: Scope) -> bool:
    """A Kubernetes Secret's base64 `data:` (decoded and read by pg.k8s.1), or the arguments
    of a call loading key material (`ctx.load_cert_chain(cert, password="…")`)."""
    return (
        scope.kind == "indent" and _BASE64_BLOCK_RE.match(text, scope.head) is not None
    ) or is_key_material_call(text, scope)


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser `options`: the password from the match, the rest from the structure around
    it (see the module docstring)."""
    groups = match.groupdict()
    name = next((g for g in sorted(groups) if g.startswith("password") and groups[g]), None)
    if name is None:
        return None
    raw = groups[name] or ""
    text = match.string
    start = match.start(name)
    lang = fields.get("lang", "")
    xml = name in fields.get("xml_groups", "").split(",")
    if fields.get("key_check") and not (
        key_names_password(groups["key"]) if groups.get("key") else password_key_at(
            text, match.start())
    ):
        return None
    if not _window_postgres(text):
        return None  # no structure in a window that never names PostgreSQL can
    # `password: os.getenv("X", "d")`: the structure is the one holding the key, not the call
    # the literal sits in
    at = match.start() if _ENV_LEAD_RE.search(text, match.start(), start) else start
    found = [Scope(0, 0, len(text), "window")] if fields.get("scope") == "window" else scopes(
        text, at)
    if not xml:
        raw = _literal_of(raw, text, start, found[0], bool(fields.get("shorthand"))) or ""
        if not raw or _inside_string(text, match.start(), start):
            return None
    if _holds_no_db_password(text, found[0]):
        return None
    password = value(raw, lang, xml)
    if not password or _PAIR_RE.match(password):
        return None  # `password="port=5432"`: a fragment of a key/value string
    url_text = (groups.get("url") or "").strip()
    url = None
    if url_text[:1] in ("\"", "'", "`", "@"):
        url_value = value(url_text, lang)
        url = jdbc.parse_any(url_value) if url_value else None
        if url is None:
            return None  # a literal URL that is not PostgreSQL's
    # the call's own literal PostgreSQL URL decides, whatever else the window names
    is_pg, by_structure = (True, True) if url is not None else is_postgres_context(text, found)
    if not is_pg:
        return None
    # `POSTGRES_PW=…` beside `POSTGRES_USER=…` in a flat .env: the key itself says whose
    key = groups.get("key") or key_at(text, match.start())
    by_structure = by_structure or key_names_postgres(key)
    inner = found[0]
    near = nearest_siblings(text, inner.start, inner.end, start, lang, inner.kind == "brackets",
                            _own_prefix(text, match.start(), start, key))
    role = ansible_role(text, found) if key.lower() == "password" else None
    if role:
        near, by_structure = {**near, "user": role}, True
    if url is not None and url.hosts:  # the call's own URL names its host and database
        near = {k: v for k, v in near.items() if k not in ("host", "port", "database")}
    url = url or _url_around(text, found, start)
    user = _group_value(groups, "user", lang) or near.get("user") or (url.user if url else None)
    host = (_group_value(groups, "host", lang) or near.get("host")
            or structure.positional_host(text, inner))
    hosts, ports = _hosts_ports(host, near.get("port"), url)
    placed = host or (url and url.hosts) or (
        user and (fields.get("user_places") or is_connect_call(text, inner)))
    # `standalone`: the form itself is a database credential (a Terraform variable)
    standalone = bool(fields.get("standalone"))
    if not by_structure and not placed and not standalone:
        return None  # only the window says PostgreSQL: a host, or a user of a connect call
    if not (user or hosts or standalone or _opened_by_postgres(text, inner)):
        return None  # a lone password that no PostgreSQL call or object holds
    database = (
        _group_value(groups, "database", lang) or near.get("database")
        or (url.database if url else None)
    )
    return ParsedCredential(
        password=password,
        user=user,
        hosts=hosts,
        ports=ports,
        database=database,
        kind=kind_of(password),
    )


def _hosts_ports(
    host: str | None, port: str | None, url: ParsedCredential | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The hosts and ports of a sibling host (and port), else of the URL beside it."""
    if host is None:
        return (url.hosts, url.ports) if url is not None else ((), ())
    host, port = _split_host(host, port)
    # `host: "h1,h2"`: a host list, as libpq reads one
    return tuple(h for h in host.split(",") if h) or (host,), (port,) if port else ()


def _group_value(groups: Mapping[str, str | None], name: str, lang: str) -> str | None:
    raw = groups.get(name)
    if not raw:
        return None
    read = value(raw, lang)
    return read if read and not REFERENCE_RE.search(read) else None
