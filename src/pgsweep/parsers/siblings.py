"""The user, host, port and database written beside a password: every sibling key of a
structure in any syntax, and each value as the program sees it."""

from __future__ import annotations

import functools
import html
import re

from pgsweep.parsers import literals
from pgsweep.parsers.nearby import prefix_rank
from pgsweep.parsers.values import scalar
from pgsweep.parsers.wrapped import WRAPPED, wrapped_literal

_LIT = (
    r"""[rRbBuUfF]{0,2}"(?:[^"\\\n]|\\.)*"|@"(?:[^"\n]|"")*"|[rRbBuU]{0,2}'(?:[^'\\\n]|\\.)*'"""
    r"""|`(?:[^`\\\n]|\\.)*`"""
)
_BARE = r"""[^\s,;(){}\[\]"'`<>#=]+"""
_SIBLING_RE = re.compile(
    # <property name="connection.username">x</property>, name="…user" value="x"
    rf"""\bname=["'](?P<kd>[\w.-]{{1,80}})["'][ \t]*(?:value=(?P<vd>"[^"\n]*"|'[^'\n]*')"""
    rf"""|>(?P<vd2>[^<\n]{{1,200}})<)"""
    # <user>x</user>, <url>jdbc:…</url>
    rf"""|<(?P<ke>[\w.-]{{1,60}})>(?P<ve>[^<\n]{{1,200}})</"""
    # setProperty("user", "x"), put("user", "x"), addDataSourceProperty("serverName", "h")
    rf"""|["'](?P<kc>[A-Za-z_][\w.-]{{0,80}})["'][ \t]*,[ \t]*(?P<vc>{_LIT})"""
    # setUser("x"), setServerNames(new String[] {{"h"}})
    rf"""|\bset(?P<kb>[A-Z]\w{{0,40}})\([ \t]*(?:new[ \t]+String[ \t]*\[\][ \t]*\{{[ \t]*)?"""
    rf"""(?P<vb>{_LIT})(?=[ \t]*[)}}])"""
    # Host { get; set; } = "h" (C# property initializer)
    rf"""|\b(?P<kg>[A-Za-z_]\w{{0,80}})[ \t]*\{{[ \t]*get;[^}}\n]{{0,40}}\}}[ \t]*=[ \t]*"""
    rf"""(?P<vg>{_LIT}|[0-9]{{1,5}}(?![\w.]))"""
    # .option(USER, "u").option(HOST, "h"): R2DBC ConnectionFactoryOptions
    rf"""|\.option\([ \t]*(?:ConnectionFactoryOptions\.)?(?P<kj>[A-Z_]{{2,20}})[ \t]*,[ \t]*"""
    rf"""(?P<vj>{_LIT}|[0-9]{{1,5}}(?![\w.]))[ \t]*\)"""
    # .user("u").host("h").port(5432): a builder chain (rust-postgres Config, sqlx)
    rf"""|\.(?P<ki>[a-z_]\w{{0,40}})\([ \t]*(?P<vi>{_LIT}|[0-9]{{1,5}}(?![\w.]))[ \t]*\)"""
    # variable "db_user" { default = "u" } (Terraform input variable)
    rf"""|\bvariable[ \t]+"(?P<kh>[\w-]{{1,80}})"[ \t]*\{{[^{{}}]{{0,400}}?\bdefault[ \t]*=[ \t]*"""
    rf"""(?P<vh>{_LIT})"""
    # {:user "u" :host "h"} (Clojure/EDN keyword map)
    rf"""|(?<![\w:.*+!?/-]):(?:[\w.*+!?-]{{1,60}}/)?(?P<kf>[A-Za-z_][\w.*+!?-]{{0,60}})[ \t]+"""
    rf"""(?P<vf>"(?:[^"\\\n]|\\.)*")"""
    # key: v, key = v, key => v, key := v, "key": v, :key => v, **Key:** v, .key = v (Zig),
    # env["KEY"] = v
    rf"""|(?:^|(?<=[\s{{,(\[;"'*]))[:"'.]?(?P<ka>[A-Za-z_$][\w.$-]{{0,80}}?)["']?\]?(?:\*\*)?"""
    rf"""[ \t]*(?:=>|:=|[:=])(?![=>])(?:\*\*)?[ \t]*"""
    rf"""(?P<va>{WRAPPED}(?:{_LIT})(?:[ \t]*\))?|{_LIT}|{_BARE})"""
)
# The sibling forms whose key and value groups (`kX`, `vX`) are read as they stand: a
# setter, a C# initializer, a Terraform variable, an EDN keyword, a builder call, an R2DBC
# option, a (key, value) pair.
_PLAIN_SIBLINGS = ("b", "g", "h", "f", "i", "j", "c")


def _plain_form(m: re.Match[str]) -> str | None:
    """The letter of the plain sibling form `m` matched, or None for another form."""
    return next((g for g in _PLAIN_SIBLINGS if m.group("k" + g) is not None), None)

_FIELD_SUFFIXES = (
    ("user", ("username", "userid", "user", "uid", "login", "rolename", "owner")),
    ("host", ("hostname", "host", "hostaddr", "servernames", "servername", "server", "addr",
              "address", "endpoint")),
    ("port", ("portnumber", "port")),
    ("database", ("databasename", "database", "dbname", "db")),
)
_NOT_FIELDS = frozenset({"superuser", "sshuser", "sshhost", "proxyhost", "proxyport", "mailuser"})
REFERENCE_RE = re.compile(r"[(${}<>]|^(?:env|ENV|os|process|var|local|data|System|sys)\b")
QUOTED_RE = re.compile(r"""(?:[rRbBuUfF]{1,2}|\$?@|@\$|\$)?["'`]""")
def value(raw: str, lang: str, xml: bool = False) -> str | None:
    """A sibling or password value as the program sees it; None when it is no literal."""
    raw = raw.strip()
    if not raw:
        return None
    raw = wrapped_literal(raw) or raw  # `process.env.X || "d"`, `quote_plus("p@ss")`
    if xml:
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
            raw = raw[1:-1]
        return html.unescape(raw).strip()
    if raw[:1] == "\\" and raw[1:2] in ("\"", "'"):
        # `\"pw\"`: quotes escaped for the code string that holds this line
        raw = raw.replace("\\" + raw[1], raw[1])
    if QUOTED_RE.match(raw):
        return literals.decode(raw, lang)
    # `password=pw\n`: a code string's newline escape ends the value
    return scalar(raw.split("\\n", 1)[0])


def _prefix_of(key: str) -> str:
    """`patroni_superuser_` of `PATRONI_SUPERUSER_USERNAME`: the key before its field word."""
    m = _FIELD_WORD_RE.search(key)
    return key[: m.start()].lower() if m else ""


_FIELD_WORD_RE = re.compile(
    r"(?i)(?:user(?:name|id|_name)?|uid|login|rolename|owner|host(?:name|addr)?|"
    r"server(?:names?)?|addr(?:ess)?|endpoint|port(?:number)?|database(?:name)?|dbname|db)$"
)


def _field_of(key: str) -> str | None:
    """user/host/port/database for a key name in any style (`DB_USER`, `flywayUser`,
    `hibernate.connection.username`, `ServerNames`), None for other keys."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    if norm in _NOT_FIELDS or not norm:
        return None
    for name, suffixes in _FIELD_SUFFIXES:
        if norm.endswith(suffixes):
            return name
    return None


@functools.lru_cache(maxsize=64)
def _sibling_values(
    text: str, lo: int, hi: int, lang: str, code: bool
) -> tuple[tuple[str, int, str, str], ...]:
    """Every (field, offset, value, key prefix) of a user/host/port/database key in
    text[lo:hi]; cached,
    as every password in one structure reads the same siblings. In code (`code`: a call or
    object) a bare identifier is a variable (`user = dbUser`), not a value."""
    out: list[tuple[str, int, str, str]] = []
    for m in _SIBLING_RE.finditer(text, lo, hi):
        if m.group("ka") is not None:
            key, raw, xml = m.group("ka"), m.group("va"), False
            if _in_host_port(text, m.start("ka"), m.end("ka")):
                continue
            if code and _is_variable(text, m.end("va"), raw):
                raw = literals.assigned_literal(text, raw) or ""  # `host: host` → `var host = …`
            elif _is_call(text, m.end("va"), raw):
                continue
        elif (plain := _plain_form(m)) is not None:
            key, raw, xml = m.group("k" + plain), m.group("v" + plain), False
            if _is_call(text, m.end("v" + plain), raw):
                continue
        elif m.group("kd") is not None:
            key = m.group("kd")
            vd = m.group("vd")
            raw, xml = (vd[1:-1], True) if vd is not None else (m.group("vd2"), True)
        else:
            key, raw, xml = m.group("ke"), m.group("ve"), True
        field = _field_of(key)
        if field is None:
            continue
        read = value(raw, lang, xml)
        if read and "=" in read:
            read = _pair_value(read, field)
        if read and not REFERENCE_RE.search(read):
            out.append((field, m.start(), read, _prefix_of(key)))
    return tuple(out)


def _in_host_port(text: str, start: int, end: int) -> bool:
    """`'localhost:8080'`: a quote opens the word and no quote closes it before its `:`,
    which no blank follows, so the word is a host and port inside a string value, not a
    `localhost` key (`'host: "db"'`, a line of YAML in a code string, is one)."""
    opened = text[start - 1 : start] if start else ""
    return (opened in ("'", '"') and text[end : end + 1] == ":"
            and text[end + 1 : end + 2] not in (" ", "\t"))


_CALL_RE = re.compile(r"[ \t]*\(")
# `$host = "host=db.corp.net";`: a piece of a conninfo string kept under the field's name
_PAIR_FIELDS = {"host": "host|hostaddr", "user": "user", "port": "port", "database": "dbname"}


def _is_call(text: str, end: int, raw: str) -> bool:
    """`$db = pg_connect(…)`: a name the code calls, not a value."""
    return _VARIABLE_RE.fullmatch(raw) is not None and _CALL_RE.match(text, end) is not None


def _pair_value(value: str, field: str) -> str | None:
    """The field's own value in a conninfo piece (`host = db.corp.net`), else None: a
    user, host, port or database name holds no `=` of its own."""
    m = re.search(rf"(?:^|\s)(?:{_PAIR_FIELDS[field]})[ \t]*=[ \t]*([^\s'\"=]+)", value)
    return m.group(1) if m else None


_VARIABLE_RE = re.compile(r"[A-Za-z_]\w*")
_AFTER_VARIABLE_RE = re.compile(r"[ \t]*(?:[,)}\n]|$)")


def _is_variable(text: str, end: int, raw: str) -> bool:
    """`user = dbUser,`: a bare name ending an argument or member is a variable (a
    `dbname=sales host=…` pair inside a connection string is not)."""
    return (_VARIABLE_RE.fullmatch(raw) is not None
            and _AFTER_VARIABLE_RE.match(text, end) is not None)


def nearest_siblings(
    text: str, lo: int, hi: int, pos: int, lang: str, code: bool = False,
    own: str | None = None,
) -> dict[str, str]:
    """The nearest value of each field in text[lo:hi]; with the password key's prefix
    `own`, keys of the same prefix first and another subject's last (`prefix_rank`)."""
    best: dict[str, tuple[int, int, str]] = {}
    for field, at, value, prefix in _sibling_values(text, lo, hi, lang, code):
        rank = (prefix_rank(prefix, own), abs(at - pos))
        if field not in best or rank < best[field][:2]:
            best[field] = (*rank, value)
    return {k: v for k, (_, _, v) in best.items()}
