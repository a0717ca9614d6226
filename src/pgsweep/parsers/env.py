"""Parse a PGPASSWORD / POSTGRES_PASSWORD assignment with the user, host, port and database
the same command line or block gives it (psql options, PG* and POSTGRES_* variables)."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import uri
from pgsweep.parsers.nearby import URL_RE, key_re, line_offset, nearest
from pgsweep.parsers.password_keys import is_env_owned
from pgsweep.parsers.sql import kind_of
from pgsweep.parsers.values import TYPE_ANNOTATION, scalar, shell_word

# psql-family options on a command line: -h H, -hH, --host=H, --host H …
_CLIENT = (
    r"(?i)\b(?:psql|pg_dump|pg_dumpall|pg_restore|pg_basebackup|createdb|dropdb|pgbench|"
    r"vacuumdb|reindexdb|pg_isready|clusterdb|createuser|dropuser)\b"
)
_CLIENT_WORD_RE = re.compile(_CLIENT)
_CLIENT_RE = re.compile(_CLIENT + r"[^\n|;&]*")
_OPT_RE = re.compile(
    r"""(?:^|\s)(?:-(?P<short>[hUpd])[ \t]*|--(?P<long>host|username|port|dbname)(?:=|[ \t]+))"""
    r"""(?P<v>"[^"\n]*"|'[^'\n]*'|[^\s"';&|]+)"""
)
# A Dockerfile's legacy `ENV KEY value` (one variable, after a blank) before the name
_DOCKER_ENV = r"(?P<docker>(?m:^)ENV[ \t]+)?"
# A variable's assignment after its name: `=` (shell), `: ` (YAML, JSON, a typed field's
# annotation skipped), or the blank of `ENV KEY value`; then its value
_ASSIGNED = (
    rf"""(?(docker)[ \t]+(?![=\s])|["']?\]?[ \t]*"""
    rf"""(?:=(?!=)|:[ \t](?:[ \t]*{TYPE_ANNOTATION})?)[ \t]*)"""
    r"""(?P<v>"[^"\n]*"|'[^'\n]*'|[^\s"';&|]+)"""
)
_ENV_RE = re.compile(
    _DOCKER_ENV + r"(?<![\w$])(?P<k>PGUSER|PGHOST|PGPORT|PGDATABASE)" + _ASSIGNED)
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
# The variable name as written (`PGPASSWORD`, a camelCase `pgPassword` of code)
_NAME_RE = re.compile(r"(?i)(?:PGPASSWORD|POSTGRES_PASSWORD|POSTGRESQL\w*?_PASSWORD)")
# An unquoted value after a quoted key (a Python, JavaScript or JSON mapping): a name or a
# null of the language (`None`, `null`, `pw`, `cfg.password`), not a string it holds.
_CODE_VALUE_RE = re.compile(r"[A-Za-z_$][\w.$]*[,}\]]*")
_ENV_FIELD = {"PGUSER": "user", "PGHOST": "host", "PGPORT": "port", "PGDATABASE": "database"}
# The postgres / bitnami images' own names (field `context: container`): a container's
# password goes with these, not with the libpq client's PG* variables beside it.
_CONTAINER_ENV_RE = re.compile(
    _DOCKER_ENV + r"(?<![\w$])(?P<k>POSTGRES_HOST|POSTGRES_SERVER|POSTGRESQL_HOST|POSTGRES_PORT"
    r"|POSTGRESQL_PORT_NUMBER|POSTGRESQL_PORT|POSTGRES_DB|POSTGRESQL_DATABASE"
    r"|POSTGRESQL_MASTER_HOST|POSTGRESQL_PRIMARY_HOST)" + _ASSIGNED
)
_CONTAINER_FIELD = {
    "POSTGRES_HOST": "host", "POSTGRES_SERVER": "host", "POSTGRESQL_HOST": "host",
    "POSTGRES_PORT": "port",
    "POSTGRESQL_PORT_NUMBER": "port", "POSTGRESQL_PORT": "port", "POSTGRES_DB": "database",
    "POSTGRESQL_DATABASE": "database", "POSTGRESQL_MASTER_HOST": "host",
    "POSTGRESQL_PRIMARY_HOST": "host",
}


# A supervisord program's environment line (`environment=A=1,B="two"`)
_SUPERVISOR_RE = re.compile(r"[ \t]*environment[ \t]*=[ \t]*")


# a quote escaped for the code string that holds the text (once or more: `\"`, `\\\"`)
_ESCAPED_RE = re.compile(r"""\\+["']""")


def _listed(value: str, supervisor: bool) -> str:
    """An unquoted value of a supervisord environment line, which ends at a comma."""
    return value.split(",", 1)[0] if supervisor and value[:1] not in "\"'" else value


def parse_env(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Parser `env`: PGPASSWORD / POSTGRES_PASSWORD assignments in shell, Dockerfiles, CI YAML
    and compose files. `=` assignments are shell words; `:` values are YAML/JSON scalars.
    User/host/port/database come from a psql-family command line after it, from PGUSER/
    PGHOST/… or POSTGRES_USER/… nearby, then from `default_user`."""
    groups = match.groupdict()
    sep = groups.get("sep") or "="
    # supervisord's environment=A=x,B="y": an unquoted value ends at a comma
    line_start = match.string.rfind("\n", 0, match.start()) + 1
    supervisor = _SUPERVISOR_RE.match(match.string, line_start) is not None
    raw = groups.get("password") if groups.get("password") is not None else groups.get("password2")
    if raw is None:
        return None
    written = _NAME_RE.search(match.group(0))
    if written is not None and not is_env_owned(written.group(0)):
        return None  # `pgPassword: "…"`: a camelCase name of code (pg.options.1 reads it)
    # `KEY: value` / `"KEY": "value"` are YAML or JSON scalars; `KEY=value` and `ENV KEY value`
    # are shell words (Dockerfile ENV follows shell quoting too).
    if ":" in sep:
        if (_key_quoted(match) and _CODE_VALUE_RE.fullmatch(raw)) or _ESCAPED_RE.match(raw):
            # `'PGPASSWORD': None,` / `"PGPASSWORD": pw`: a code value, no literal; a value
            # in escaped quotes (`\"…\"`) is YAML inside a code string, read once decoded
            return None
        password = scalar(raw)
    else:
        raw = _listed(raw, supervisor)
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
    client = _client_after(text, match.end(), line_offset(text, match.end(), 3))
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
    container = fields.get("env_names") == "container"
    # the password's own line first (`PGUSER=u PGPASSWORD=p psql`), then its block
    line_lo = text.rfind("\n", 0, pos) + 1
    line_hi = line_offset(text, pos, 1)
    block = indented_block(text, pos)
    for lo, hi in ((line_lo, line_hi), block):
        for key, value in _assigned(container, text, lo, hi, supervisor):
            found.setdefault(key, value)
    if "user" not in found:
        user_keys = fields.get("user_keys")
        if user_keys:
            # within the block: another compose service's POSTGRES_USER is not this one's
            u = nearest(key_re(user_keys), text, pos, *block)
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
        kind=kind_of(password),
    )


# Matches of one long line share its text (see detectors.engine.in_context): what they
# read around themselves is worked out once per text, so each match costs the same.
@functools.lru_cache(maxsize=16)
def _client_words(text: str) -> list[int]:
    return [m.start() for m in _CLIENT_WORD_RE.finditer(text)]


# How much of a psql-family command line is read for its options.
_COMMAND_REACH = 1024


def _client_after(text: str, start: int, limit: int) -> re.Match[str] | None:
    """The first psql-family command line at or after `start` that starts before `limit`
    (`_CLIENT_RE.search(text, start, limit)`), its first `_COMMAND_REACH` characters."""
    words = _client_words(text)
    i = bisect.bisect_left(words, start)
    if i == len(words) or words[i] >= limit:
        return None
    return _CLIENT_RE.match(text, words[i], min(limit, words[i] + _COMMAND_REACH))


@functools.lru_cache(maxsize=64)
def _assigned(container: bool, text: str, lo: int, hi: int,
              supervisor: bool) -> tuple[tuple[str, str], ...]:
    """The first value of each field (user, host, port, database) the PG* variables (or
    the container images' POSTGRES_* ones) assign in text[lo:hi]."""
    env_re, env_field = (_CONTAINER_ENV_RE, _CONTAINER_FIELD) if container else (
        _ENV_RE, _ENV_FIELD)
    found: dict[str, str] = {}
    for m in env_re.finditer(text, lo, hi):
        found.setdefault(env_field[m.group("k")], shell_word(_listed(m.group("v"), supervisor)))
    return tuple(found.items())


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


def _key_quoted(match: re.Match[str]) -> bool:
    """The variable's name is quoted (`"PGPASSWORD": pw`, `{"POSTGRES_PASSWORD": pgPassword}`),
    so its value is code: the signature's `q` group, or a quote just before the match (a
    name right after `{` starts the match at the name itself)."""
    start = match.start()
    return bool(match.groupdict().get("q")) or match.string[start - 1 : start] in ("\"", "'")


def _inside_double_quotes(text: str, pos: int) -> bool:
    """Whether `pos` sits inside a `"…"` string opened earlier on its line."""
    prefix = text[text.rfind("\n", 0, pos) + 1 : pos].replace('\\"', "")
    return prefix.count('"') % 2 == 1


def _uri_in(command: str) -> ParsedCredential | None:
    m = URL_RE.search(command)
    if m is None or m.group(0).lower().startswith(("jdbc", "r2dbc")):
        return None
    try:
        return uri.parse(uri.trim(m.group(0)))
    except ValueError:
        return None
