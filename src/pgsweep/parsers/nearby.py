"""Parse a password with the user, host and database of the keys near it (framework configs,
IaC blocks, `.env`-style settings).

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
  built-in list (user, username, master_username, administrator_login, POSTGRES_USER…);
- `host_keys`: the same for the host (psqlODBC's `Servername`).

Of the sibling keys, those with the password key's own prefix (`DB_HOST` beside
`DB_PASSWORD`) come first, then unprefixed ones and those naming a database, and keys of
another subject's prefix (`REDIS_HOST`, `CONVERTER_HOST`) last; the nearest wins within a rank.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import jdbc
from pgsweep.parsers.sql import kind_of
from pgsweep.parsers.values import CODE_NAME_RE, TYPE_ANNOTATION, scalar, shell_word

_QUOTED = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'"""
# A list of values on one line (`host: ['primary', 'replica']`, `port: [5432, 5433]`): a
# host list, as node-postgres and the YAML and JSON configs of multi-host drivers write it.
_ITEM = rf"""(?:{_QUOTED}|[^\s,\[\]"'`#]+)"""
_LIST = rf"""\[[ \t]*{_ITEM}(?:[ \t]*,[ \t]*{_ITEM})*[ \t]*,?[ \t]*\]"""
# a shell expansion with a default (`${KONG_PG_USER:-kong}`): its default is the value
_EXPANSION = r"""\$\{[A-Za-z_][\w.]*(?::-|-|:=|=)[^}\s"'`$]*\}"""
_VALUE = rf"""(?P<value>{_QUOTED}|{_LIST}|{_EXPANSION}|(?!\[)[^\s,;}}#)"'`]+)"""
_ITEM_RE = re.compile(_ITEM)


def key_re(keys: str) -> re.Pattern[str]:
    """A key of `keys` (any prefix) and its value.

    Forms: `"KEY": value`, `KEY = value`, `key: value`, `:key => value`, `KEY=value`, and
    a Dockerfile's `ENV KEY value` (its legacy form: one variable, after a blank).
    """
    return re.compile(
        rf"""(?im)(?:(?P<docker>^ENV[ \t]+)|(?:^|[\s{{,(\[])[:"']?(?:[\w.-]*[._])?)"""
        rf"""(?P<key>{keys})["']?"""
        rf"""(?(docker)[ \t]+(?![=\s])|[ \t]*(?:=>|=|:[ \t]*(?:{TYPE_ANNOTATION})?)[ \t]*)"""
        rf"""{_VALUE}"""
    )


USER_RE = key_re(
    r"user|username|user_name|userid|user_id|login|master_username|administrator_login|"
    r"postgres_user|postgresql_username|pguser|db_user|database_user|role"
)
HOST_RE = key_re(r"host|hostname|server|address|endpoint|pghost|db_host|database_host")
PORT_RE = key_re(r"port|pgport|db_port")
DATABASE_RE = key_re(
    r"database|dbname|db_name|db|postgres_db|postgresql_database|pgdatabase|database_name|(?-i:NAME)"
)
URL_RE = re.compile(
    r"(?i)(?:jdbc:|r2dbc:(?:pool:)?)?\bpostgres(?:ql)?(?:\+\w+)?:(?://)?"
    r"(?:[^\s\"'`<>{}|\\^$]|\$\{[\w.]{1,80}(?::-?[^\s\"'`<>{}|\\^$]*)?\}|\$)+"
)
_UNUSABLE = re.compile(r"[(${}<>]|^(?:env|ENV|os|process|var|local|data)\b")
# An unquoted dotted value that names a field (`helper.args.host`, `this.config.user`,
# `settings.DB_HOST`): an attribute path in code, not a literal host or name.
_ATTRIBUTE_PATH = re.compile(
    r"(?i)^(?:(?:self|this|args|argv|config|cfg|conf|settings|options|opts|params|props|ctx|"
    r"context|helper|helpers|creds|credentials)\.[\w.]*\w"
    r"|[\w.]*\.(?:\w*_)?(?:host|hostname|server|address|endpoint|user|username|port|"
    r"database|dbname|name))$"
)

# a bare name ending a call's argument (`password = dbPassword,`, `password: pw)`)
_CODE_ARGUMENT = re.compile(r"[A-Za-z_]\w*[ \t]*[,)]")


# a key's prefix naming the database it configures (`DB_`, `POSTGRES_`, `datasource.`)
_DB_PREFIX_RE = re.compile(r"(?i)pg|postgres|db|database|datasource|sql")
_PREFIX_LEAD = " \t\r\n{,([:\"'"


def prefix_rank(prefix: str, own: str | None) -> int:
    """How well a sibling key's prefix fits the password key's (`own`): the same prefix
    (`DB_HOST` beside `DB_PASSWORD`) first, then none or one naming a database, then
    another subject's (`CONVERTER_HOST`, `REDIS_HOST` beside `DB_PASSWORD`)."""
    if own is None:
        return 0
    prefix = prefix.lower()
    if prefix == own:
        return 0
    return 1 if not prefix or _DB_PREFIX_RE.search(prefix) else 2


class _Keys:
    """The keys of one pattern in text[lo:hi] (start, value, end of value), in order, and
    the same split by rank (see `prefix_rank`): so that every match of one long line
    finds its nearest key by bisection, not by a pass over the line."""

    def __init__(self, pattern: re.Pattern[str], text: str, lo: int, hi: int) -> None:
        self.all: list[tuple[int, str, int]] = []
        self.by_prefix: dict[str, list[tuple[int, str, int]]] = {}
        self.databases: list[tuple[int, str, int]] = []  # no prefix, or one naming a database
        for m in pattern.finditer(text, lo, hi):
            key = (m.start(), m.group("value"), m.end("value"))
            prefix = text[m.start() : m.start("key")].lstrip(_PREFIX_LEAD).lower()
            self.all.append(key)
            self.by_prefix.setdefault(prefix, []).append(key)
            if not prefix or _DB_PREFIX_RE.search(prefix):
                self.databases.append(key)

    def nearest(self, pos: int, prefix: str | None) -> tuple[int, str, int] | None:
        """The key nearest to `pos` of the best rank; of two as near, the earlier."""
        if prefix is None:
            keys = self.all
        else:
            keys = self.by_prefix.get(prefix) or self.databases or self.all
        i = bisect.bisect_right(keys, pos, key=lambda k: k[0])
        before = keys[i - 1] if i > 0 else None
        after = keys[i] if i < len(keys) else None
        if after is None or (before is not None and pos - before[0] <= after[0] - pos):
            return before
        return after


@functools.lru_cache(maxsize=64)
def _keys(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> _Keys:
    return _Keys(pattern, text, lo, hi)


def nearest(
    pattern: re.Pattern[str], text: str, pos: int, lo: int = 0, hi: int | None = None,
    prefix: str | None = None,
) -> str | None:
    """The value of the key nearest to `pos` in text[lo:hi], unquoted; None when absent or
    when it is itself a reference (`os.getenv(...)`, `${X}`). With the password key's
    `prefix` (lower case), keys of the same prefix come first and keys of another
    subject's prefix last (see `prefix_rank`)."""
    best = _keys(pattern, text, lo, len(text) if hi is None else hi).nearest(pos, prefix)
    if best is None:
        return None
    raw = best[1]
    if _CODE_ARGUMENT.fullmatch(text[best[2] - len(raw) : best[2] + 1]):
        return None  # `host: dbHost,`: a variable in a code object or call
    if raw.startswith("["):  # a list: its values, comma-separated as in a libpq host list
        value = ",".join(scalar(item) for item in _ITEM_RE.findall(raw, 1, len(raw) - 1))
    else:
        value = scalar(raw)
    if not value or _UNUSABLE.search(value):
        return None
    if raw[0] not in "\"'" and _ATTRIBUTE_PATH.match(value):
        return None
    return value


@functools.lru_cache(maxsize=16)
def _url_parts(text: str, lo: int, hi: int) -> ParsedCredential | None:
    m = URL_RE.search(text, lo, hi)
    if m is None:
        return None
    return jdbc.parse_any(m.group(0))


@functools.lru_cache(maxsize=64)
def _found(pattern: str, text: str, lo: int, hi: int) -> bool:
    """Whether `pattern` matches in text[lo:hi]; worked out once for the matches of one
    long line, which share their text."""
    return re.search(pattern, text[lo:hi]) is not None


@functools.lru_cache(maxsize=16)
def _block_starts(block: str, text: str) -> list[int]:
    return [m.start() for m in re.finditer(block, text)]


def _block_bounds(text: str, pos: int, fields: Mapping[str, str]) -> tuple[int, int]:
    lo, hi = 0, len(text)
    block = fields.get("block")
    if block:
        starts = _block_starts(block, text)
        i = bisect.bisect_right(starts, pos)
        lo = starts[i - 1] if i > 0 else 0
        hi = starts[i] if i < len(starts) else len(text)
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


def _spaced(match: re.Match[str]) -> bool:
    """`KEY = value`: an assignment in code (shells allow no space around `=`, env files
    rarely have one), where an unquoted name is a variable."""
    at = match.start("sep")
    return match.string[at - 1 : at] in (" ", "\t") and match.string[at + 1 : at + 2] in (" ", "\t")


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
        if _spaced(match) and CODE_NAME_RE.fullmatch(raw.strip().rstrip("\"',;)")):
            return None  # `DB_PASSWORD = secret_value`: code assigning a variable
        # KEY=value (env files, docker -e, shell): a shell word; inside "KEY=value" the
        # value also ends at the quote that opened the word
        # (a backtick is markdown around it, or a command substitution: not a value)
        quote = groups.get("q") or ""
        raw = raw.split(quote, 1)[0] if quote else raw
        password = shell_word(raw.split("`", 1)[0])
    elif _CODE_ARGUMENT.fullmatch(raw.strip()):
        return None  # `password = dbPassword,`: a variable passed as an argument in code
    else:
        password = scalar(raw)
    text = match.string
    pos = match.start()
    lo, hi = _block_bounds(text, pos, fields)
    if fields.get("same_block") and not _same_block(text, match, lo, hi):
        return None
    anywhere = fields.get("window_context")
    if anywhere and not _found(anywhere, text, 0, len(text)):
        return None
    context = fields.get("context")
    if context:
        ctx_hi = min(hi, line_offset(text, match.end(), 40))
        if not _found(context, text, lo, ctx_hi):
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
    own = password_key_prefix(text, pos)
    user_re = key_re(fields["user_keys"]) if fields.get("user_keys") else USER_RE
    user = fields.get("fixed_user") or (groups.get("user") and scalar(groups["user"] or ""))
    user = user or nearest(user_re, text, pos, lo, hi, own) or (url.user if url else None)
    user = user or fields.get("default_user") or None
    host_re = key_re(fields["host_keys"]) if fields.get("host_keys") else HOST_RE
    host = nearest(host_re, text, pos, lo, hi, own)
    # `h1,h2` (or a list of hosts) is a host list, as libpq reads one
    hosts: tuple[str, ...] = tuple(host.split(",")) if host else (url.hosts if url else ())
    port = nearest(PORT_RE, text, pos, lo, hi, own)
    ports: tuple[str, ...] = tuple(port.split(",")) if port else (url.ports if url else ())
    database = nearest(DATABASE_RE, text, pos, lo, hi, own) or (url.database if url else None)
    return ParsedCredential(
        password=password,
        user=user,
        hosts=hosts,
        ports=ports,
        database=database,
        kind=kind_of(password),  # a SCRAM verifier or md5 hash where a password goes
    )


_KEY_TOKEN_RE = re.compile(r"[\w.-]+")
_OWN_PREFIX_RE = re.compile(r"(?i)(.*?[._-])(?:password|passwd|pass|pwd|pw)\w*")


def key_prefix(key: str) -> str | None:
    """The prefix of a password key (`db_` of `DB_PASSWORD`), lower case; None without one."""
    m = _OWN_PREFIX_RE.fullmatch(key)
    return m.group(1).lower() if m else None


def password_key_prefix(text: str, pos: int) -> str | None:
    """The prefix of the password key the match at `pos` starts with (`DB_` of
    `DB_PASSWORD=…`, `orders_db_` of `orders_db_password:`), lower case; None when it has
    none."""
    end = text.find("\n", pos, pos + 120)
    for token in _KEY_TOKEN_RE.findall(text, pos, end if end >= 0 else pos + 120):
        prefix = key_prefix(token)
        if prefix is not None:
            return prefix
    return None


def line_offset(text: str, pos: int, lines: int) -> int:
    """The offset of the end of the line `lines` lines after the one holding `pos`."""
    for _ in range(lines):
        nxt = text.find("\n", pos + 1)
        if nxt < 0:
            return len(text)
        pos = nxt
    return pos
