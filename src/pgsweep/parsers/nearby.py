"""Parse credentials spread over nearby lines (framework configs, env vars, IaC blocks).

The signature's regex captures the password (group `password`, or `password2` for a second
syntax); this parser unquotes it and looks around it in the match's window for the user,
host, port and database. A signature tunes it through `fields` (options, not group names):

- `context`: a regex that must match in the block holding the password (e.g. a postgres
  engine), searched from the block start to 40 lines after the password;
- `block`: a regex marking where a block starts (`resource "…"`); the context and the
  sibling keys are then read only from the last block start before the password;
- `window_context`: a regex that must match somewhere in the whole window;
- `default_user`: the user when none is written (the postgres image's `postgres`);
- `fixed_user`: the user this password always belongs to (`auth.postgresPassword`);
- `raw`: any value: the password is the captured text as written (no unquoting);
- `user_keys`: a regex alternation of key names to read the user from, instead of the
  built-in list (user, username, master_username, administrator_login, POSTGRES_USER…).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential, SecretKind

# shell ${VAR:-d} ${VAR-d} ${VAR:=d}; Spring ${key:d}
_DEFAULT_RE = re.compile(r"^\$\{[A-Za-z_][\w.]*(?::-|-|:=|=|:(?![-=?+\d ]))(?P<d>[^}]*)\}$")
_JSON_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "0": "\0"}


def shell_default(value: str) -> str:
    """`${VAR:-default}`, `${VAR-default}`, `${VAR:=default}`, Spring's `${key:default}`:
    the default is a real value."""
    m = _DEFAULT_RE.match(value)
    return m.group("d") if m else value


def scalar(raw: str) -> str:
    """One value as written in YAML, JSON, Python, JS, HCL, .properties or .env: quotes and
    their escapes undone, a trailing comment or separator dropped."""
    s = raw.strip()
    if not s:
        return s
    q = s[0]
    if q in '"`':
        out: list[str] = []
        i = 1
        while i < len(s):
            ch = s[i]
            if ch == "\\" and i + 1 < len(s):
                nxt = s[i + 1]
                if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[i + 2 : i + 6]):
                    out.append(chr(int(s[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                out.append(_JSON_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            if ch == q:
                break
            out.append(ch)
            i += 1
        return shell_default("".join(out))
    if q == "'":
        body = s[1:]
        if "''" in body[:-1]:  # YAML single quotes: '' is a quote
            out2: list[str] = []
            i = 0
            while i < len(body):
                if body[i] == "'":
                    if body[i + 1 : i + 2] == "'":
                        out2.append("'")
                        i += 2
                        continue
                    break
                out2.append(body[i])
                i += 1
            return shell_default("".join(out2))
        end = 0
        out3: list[str] = []
        while end < len(body):
            ch = body[end]
            if ch == "\\" and end + 1 < len(body) and body[end + 1] in "'\\":
                out3.append(body[end + 1])
                end += 2
                continue
            if ch == "'":
                break
            out3.append(ch)
            end += 1
        return shell_default("".join(out3))
    # bare: up to a comment or a separator that ends a value in code
    s = re.split(r"\s+#|\s+//|\s*[,;]\s*$", s, maxsplit=1)[0].rstrip()
    return shell_default(s)


def shell_word(raw: str) -> str:
    """A POSIX shell word: '…' literal, "…" with \\" \\\\ \\$ \\` escapes, $'…' ANSI-C,
    bare backslash escapes; ends at unquoted whitespace or ; & | < > ( ).

    A bare backslash-n also ends it: `KEY=value\\n` is nearly always a line written by code
    (a string escape), not the shell word `valuen`."""
    if "\\n" in raw and raw[:1] not in "'\"$":
        raw = raw.split("\\n", 1)[0]
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch in " \t\n;&|<>()":
            break
        if ch == "'":
            end = raw.find("'", i + 1)
            end = n if end < 0 else end
            out.append(raw[i + 1 : end])
            i = end + 1
        elif ch == "$" and raw[i + 1 : i + 2] == "'":
            i += 2
            while i < n and raw[i] != "'":
                if raw[i] == "\\" and i + 1 < n:
                    nxt = raw[i + 1]
                    out.append(_JSON_ESCAPES.get(nxt, nxt) if nxt != "0" else nxt)
                    i += 2
                else:
                    out.append(raw[i])
                    i += 1
            i += 1
        elif ch == '"':
            i += 1
            while i < n and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < n and raw[i + 1] in '"\\$`\n':
                    out.append(raw[i + 1])
                    i += 2
                else:
                    out.append(raw[i])
                    i += 1
            i += 1
        elif (ch == "$" and raw[i + 1 : i + 2] in ("(", "{")) or ch == "`":
            # command substitution / parameter expansion: kept as written (a reference);
            # unclosed, it is prose around the value and ends the word
            close = {"(": ")", "{": "}"}.get(raw[i + 1 : i + 2], "`")
            end = raw.find(close, i + 1 if ch == "`" else i + 2)
            if end < 0:
                break
            out.append(raw[i : end + 1])
            i = end + 1
        elif ch == "\\" and i + 1 < n:
            if raw.startswith(("\\n", "\\\\n"), i):
                break  # after a quoted part too: a code string's (escaped) newline escape
            out.append(raw[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return shell_default("".join(out))


_VALUE = r"""(?P<value>"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\s,;}#)"'`]+)"""


def _key_re(keys: str) -> re.Pattern[str]:
    # "KEY": value, KEY = value, key: value, :key => value, KEY=value (env), key value (HCL no)
    return re.compile(
        rf"""(?im)(?:^|[\s{{,(\[])[:"']?(?:[\w.-]*[._])?(?P<key>{keys})["']?"""
        rf"""[ \t]*(?:=>|[:=])[ \t]*{_VALUE}"""
    )


USER_RE = _key_re(
    r"user|username|user_name|userid|user_id|login|master_username|administrator_login|"
    r"postgres_user|postgresql_username|pguser|db_user|database_user|role"
)
HOST_RE = _key_re(r"host|hostname|server|address|endpoint|pghost|db_host|database_host")
PORT_RE = _key_re(r"port|pgport|db_port")
DATABASE_RE = _key_re(
    r"database|dbname|db_name|db|postgres_db|postgresql_database|pgdatabase|database_name|(?-i:NAME)"
)
URL_RE = re.compile(
    r"(?i)(?:jdbc:|r2dbc:(?:pool:)?)?\bpostgres(?:ql)?(?:\+\w+)?:(?://)?[^\s\"'`<>{}|\\^]+"
)
_UNUSABLE = re.compile(r"[(${}<>]|^(?:env|ENV|os|process|var|local|data)\b")


def nearest(
    pattern: re.Pattern[str], text: str, pos: int, lo: int = 0, hi: int | None = None
) -> str | None:
    """The value of the key nearest to `pos` in text[lo:hi], unquoted; None when absent or
    when it is itself a reference (`os.getenv(...)`, `${X}`)."""
    best: tuple[int, str] | None = None
    for m in pattern.finditer(text, lo, len(text) if hi is None else hi):
        dist = abs(m.start() - pos)
        if best is None or dist < best[0]:
            best = (dist, m.group("value"))
    if best is None:
        return None
    value = scalar(best[1])
    if not value or _UNUSABLE.search(value):
        return None
    return value


def _url_parts(text: str, lo: int, hi: int) -> ParsedCredential | None:
    from pgsweep.parsers import jdbc

    m = URL_RE.search(text, lo, hi)
    if m is None:
        return None
    return jdbc.parse_any(m.group(0))


def _block_bounds(text: str, pos: int, fields: Mapping[str, str]) -> tuple[int, int]:
    lo, hi = 0, len(text)
    block = fields.get("block")
    if block:
        starts = [m.start() for m in re.finditer(block, text)]
        before = [s for s in starts if s <= pos]
        after = [s for s in starts if s > pos]
        lo = before[-1] if before else 0
        hi = after[0] if after else len(text)
    return lo, hi


# Subjects of a password key that is not the datasource's (`server.ssl.key-store-password`,
# `KEYCLOAK_ADMIN_PASSWORD`, `spring.mail.password`).
_FOREIGN_SUBJECTS = frozenset(
    """
    admin keycloak keystore truststore key store trust ssl tls mail smtp ldap redis rabbitmq
    rabbit kafka amqp oauth oauth2 client jwt api token sftp ftp proxy s3 aws registry
    """.split()
)
_KEY_WORD_RE = re.compile(r"[A-Z0-9]+(?![a-z])|[A-Z]?[a-z0-9]+")


def _key_words(key: str) -> list[str]:
    """`spring.datasource.jdbc-url` → [spring, datasource, jdbc, url]; camelCase split too."""
    return [w.lower() for w in _KEY_WORD_RE.findall(key)]


def _same_block(text: str, match: re.Match[str], lo: int, hi: int) -> bool:
    """The password key and the URL key beside it name the same datasource: their first
    words agree (or one is bare, as in a nested YAML block), and the password key names no
    other subject (an admin, a key store, a mail server)."""
    line_start = text.rfind("\n", 0, match.start()) + 1
    key = text[line_start : match.start("password")]
    words = _key_words(re.split(r"(?i)password", key, maxsplit=1)[0])
    if _FOREIGN_SUBJECTS.intersection(words):
        return False
    url = URL_RE.search(text, lo, hi)
    if url is None:
        return True
    url_line = text.rfind("\n", 0, url.start()) + 1
    url_words = _key_words(text[url_line : url.start()])
    url_words = [w for w in url_words if w not in {"url", "jdbc", "r2dbc", "uri"}]
    return not words or not url_words or words[0] == url_words[0]


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser `nearby`: password from the match, the rest from around it. With the option
    `same_block`, a password whose key belongs to another block than the URL's is not
    this datasource's."""
    groups = match.groupdict()
    raw = groups.get("password") or groups.get("password2")
    if raw is None:
        return None
    if fields.get("raw"):
        password = raw.strip()
    elif groups.get("sep") == "=" and raw[:1] not in "\"'":
        # KEY=value (env files, docker -e, shell): a shell word; inside "KEY=value" the
        # value also ends at the quote that opened the word
        # (a backtick is markdown around it, or a command substitution: not a value)
        quote = groups.get("q") or ""
        raw = raw.split(quote, 1)[0] if quote else raw
        password = shell_word(raw.split("`", 1)[0])
    else:
        password = scalar(raw)
    text = match.string
    pos = match.start()
    lo, hi = _block_bounds(text, pos, fields)
    if fields.get("same_block") and not _same_block(text, match, lo, hi):
        return None
    anywhere = fields.get("window_context")
    if anywhere and re.search(anywhere, text) is None:
        return None
    context = fields.get("context")
    if context:
        ctx_hi = min(hi, _line_offset(text, match.end(), 40))
        if re.search(context, text[lo:ctx_hi]) is None:
            return None
    return _assemble(password, text, pos, lo, hi, groups, fields)


def _assemble(
    password: str,
    text: str,
    pos: int,
    lo: int,
    hi: int,
    groups: Mapping[str, str | None],
    fields: Mapping[str, str],
) -> ParsedCredential:
    url = _url_parts(text, lo, hi)
    user_re = _key_re(fields["user_keys"]) if fields.get("user_keys") else USER_RE
    user = fields.get("fixed_user") or (groups.get("user") and scalar(groups["user"] or ""))
    user = user or nearest(user_re, text, pos, lo, hi) or (url.user if url else None)
    user = user or fields.get("default_user") or None
    host = nearest(HOST_RE, text, pos, lo, hi)
    hosts: tuple[str, ...] = (host,) if host else (url.hosts if url else ())
    port = nearest(PORT_RE, text, pos, lo, hi)
    ports: tuple[str, ...] = (port,) if port else (url.ports if url else ())
    database = nearest(DATABASE_RE, text, pos, lo, hi) or (url.database if url else None)
    return ParsedCredential(
        password=password,
        user=user,
        hosts=hosts,
        ports=ports,
        database=database,
        kind=_kind(password),
    )


def _kind(password: str) -> SecretKind:
    """A SCRAM verifier or md5 hash written where a password goes is a hash leak."""
    from pgsweep.parsers.sql import kind_of

    return kind_of(password)


def _line_offset(text: str, pos: int, lines: int) -> int:
    for _ in range(lines):
        nxt = text.find("\n", pos + 1)
        if nxt < 0:
            return len(text)
        pos = nxt
    return pos


# psql-family options on a command line: -h H, -hH, --host=H, --host H …
_CLIENT_RE = re.compile(
    r"(?i)\b(?:psql|pg_dump|pg_dumpall|pg_restore|pg_basebackup|createdb|dropdb|pgbench|"
    r"vacuumdb|reindexdb|pg_isready|clusterdb|createuser|dropuser)\b[^\n|;&]*"
)
_OPT_RE = re.compile(
    r"""(?:^|\s)(?:-(?P<short>[hUpd])[ \t]*|--(?P<long>host|username|port|dbname)(?:=|[ \t]+))"""
    r"""(?P<v>"[^"\n]*"|'[^'\n]*'|[^\s"';&|]+)"""
)
_ENV_RE = re.compile(
    r"""(?<![\w$])(?P<k>PGUSER|PGHOST|PGPORT|PGDATABASE)["']?\]?[ \t]*(?:=(?!=)|:[ \t])[ \t]*"""
    r"""(?P<v>"[^"\n]*"|'[^'\n]*'|[^\s"';&|]+)"""
)
_OPT_FIELD = {
    "h": "host",
    "host": "host",
    "U": "user",
    "username": "user",
    "p": "port",
    "port": "port",
    "d": "database",
    "dbname": "database",
}
_ENV_FIELD = {"PGUSER": "user", "PGHOST": "host", "PGPORT": "port", "PGDATABASE": "database"}
# The postgres / bitnami images' own names (field `context: container`): a container's
# password goes with these, not with the libpq client's PG* variables beside it.
_CONTAINER_ENV_RE = re.compile(
    r"""(?<![\w$])(?P<k>POSTGRES_HOST|POSTGRESQL_HOST|POSTGRES_PORT|POSTGRESQL_PORT_NUMBER"""
    r"""|POSTGRESQL_PORT|POSTGRES_DB|POSTGRESQL_DATABASE|POSTGRESQL_MASTER_HOST"""
    r"""|POSTGRESQL_PRIMARY_HOST)["']?\]?[ \t]*(?:=(?!=)|:[ \t])[ \t]*"""
    r"""(?P<v>"[^"\n]*"|'[^'\n]*'|[^\s"';&|]+)"""
)
_CONTAINER_FIELD = {
    "POSTGRES_HOST": "host", "POSTGRESQL_HOST": "host", "POSTGRES_PORT": "port",
    "POSTGRESQL_PORT_NUMBER": "port", "POSTGRESQL_PORT": "port", "POSTGRES_DB": "database",
    "POSTGRESQL_DATABASE": "database", "POSTGRESQL_MASTER_HOST": "host",
    "POSTGRESQL_PRIMARY_HOST": "host",
}


def parse_env(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser `env`: PGPASSWORD / POSTGRES_PASSWORD assignments in shell, Dockerfiles, CI YAML
    and compose files. `=` assignments are shell words; `:` values are YAML/JSON scalars.
    User/host/port/database come from a psql-family command line after it, from PGUSER/
    PGHOST/… or POSTGRES_USER/… nearby, then from `default_user`."""
    groups = match.groupdict()
    sep = groups.get("sep") or "="
    raw = groups.get("password") if groups.get("password") is not None else groups.get("password2")
    if raw is None:
        return None
    # `KEY: value` / `"KEY": "value"` are YAML or JSON scalars; `KEY=value` and `ENV KEY value`
    # are shell words (Dockerfile ENV follows shell quoting too).
    if ":" in sep:
        password = scalar(raw)
    else:
        # inside a quoted word ("PGPASSWORD=…") the value ends at that quote
        quote = groups.get("q") or ""
        if not quote and _inside_double_quotes(match.string, match.start()):
            quote = '"'  # a code string holding a shell line: the value ends at its quote
        if quote and raw.startswith("\\" + quote):
            # PGPASSWORD set to a quoted value whose quotes are escaped for the code string
            password = shell_word(raw.replace("\\" + quote, quote))
        else:
            password = shell_word(raw.split(quote, 1)[0] if quote and raw[:1] != quote else raw)
    text = match.string
    pos = match.start()
    found: dict[str, str] = {}
    # a psql-family command on the same line or the next lines
    client = _CLIENT_RE.search(text, match.end(), _line_offset(text, match.end(), 3))
    if client:
        for m in _OPT_RE.finditer(client.group(0)):
            key = _OPT_FIELD[m.group("short") or m.group("long")]
            found.setdefault(key, shell_word(m.group("v")))
        dbarg = _uri_in(client.group(0))
        if dbarg is not None:
            # libpq prefers a password in the URI; PGPASSWORD still leaked, for these parts
            return ParsedCredential(
                password=password,
                user=dbarg.user or found.get("user"),
                hosts=dbarg.hosts,
                ports=dbarg.ports,
                database=dbarg.database,
            )
    env_re, env_field = (
        (_CONTAINER_ENV_RE, _CONTAINER_FIELD) if fields.get("env_names") == "container"
        else (_ENV_RE, _ENV_FIELD)
    )
    # the password's own line first (`PGUSER=u PGPASSWORD=p psql`), then its block
    line_lo = text.rfind("\n", 0, pos) + 1
    line_hi = _line_offset(text, pos, 1)
    for lo, hi in ((line_lo, line_hi), indented_block(text, pos)):
        for m in env_re.finditer(text, lo, hi):
            found.setdefault(env_field[m.group("k")], shell_word(m.group("v")))
    if "user" not in found:
        user_keys = fields.get("user_keys")
        if user_keys:
            u = nearest(_key_re(user_keys), text, pos)
            if u:
                found["user"] = u
    user = found.get("user") or fields.get("default_user") or None
    hosts = tuple(found["host"].split(",")) if found.get("host") else ()
    return ParsedCredential(
        password=password,
        user=user,
        hosts=hosts,
        ports=(found["port"],) if found.get("port") else (),
        database=found.get("database"),
        kind=_kind(password),
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def indented_block(text: str, pos: int) -> tuple[int, int]:
    """The lines around `pos` indented at least as deeply as its own, when the line that
    opens them ends in `:` (a YAML mapping or list under `environment:`, a compose
    service): settings of a sibling service or block are not this password's. Elsewhere
    (shell, .env) the whole text."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    depth = _indent(text[start:end])
    if depth == 0:
        return 0, len(text)
    lo = start
    while lo > 0:
        prev = text.rfind("\n", 0, lo - 1) + 1
        line = text[prev : lo - 1]
        if line.strip() and not line.lstrip().startswith("#") and _indent(line) < depth:
            if not line.rstrip().endswith(":"):
                return 0, len(text)
            break
        lo = prev
    hi = end
    while hi < len(text):
        nxt = text.find("\n", hi + 1)
        nxt = len(text) if nxt < 0 else nxt
        line = text[hi + 1 : nxt]
        if line.strip() and not line.lstrip().startswith("#") and _indent(line) < depth:
            break
        hi = nxt
    return lo, hi


def _inside_double_quotes(text: str, pos: int) -> bool:
    """Whether `pos` sits inside a `"…"` string opened earlier on its line."""
    prefix = text[text.rfind("\n", 0, pos) + 1 : pos].replace('\\"', "")
    return prefix.count('"') % 2 == 1


def _uri_in(command: str) -> ParsedCredential | None:
    from pgsweep.parsers import uri

    m = URL_RE.search(command)
    if m is None or m.group(0).lower().startswith(("jdbc", "r2dbc")):
        return None
    try:
        return uri.parse(uri.trim(m.group(0)))
    except ValueError:
        return None


def parse_pgpass_value(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser `pgpass_value`: a pgpass line held as a value (group `line`), e.g. the `pgpass`
    key of a CloudNativePG Secret."""
    from pgsweep.parsers import pgpass

    return pgpass.parse_line(scalar(match.group("line")))
