"""Find the structure around a position in code or config text: the bracket group, the
indented block or the `[section]` that holds it, innermost first.

A password's user, host and PostgreSQL context are read from the structure that holds it:
the call's parentheses or the object's braces (`psycopg2.connect(…)`, `new Pool({…})`,
`pgconn.Config{…}`, `const (…)`), else the YAML/Elixir block under the nearest less
indented line (`database:`, `config :app, App.Repo,`), else the INI/TOML `[section]`,
else the whole window. Brackets inside string literals do not count; a quote with no
closing quote on its line is an apostrophe, not a string. Everything is one regex pass
over the window, cached per window text.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

_TOKEN_RE = re.compile(
    r"""[(){}\[\]]|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`"""
)
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_SECTION_RE = re.compile(r"(?m)^[ \t]*\[[^\]\n]{1,100}\][ \t]*$")
# bounds on the work per match: ancestors followed, lines walked up or down a block
MAX_DEPTH_WALK = 64
MAX_LINES_WALK = 200


@dataclass(frozen=True)
class Scope:
    """A region of the text: `head` is where its opening line starts (the call or key that
    names it), `start`/`end` its body."""

    head: int
    start: int
    end: int
    kind: str  # "brackets", "indent", "section" or "window"


@dataclass(frozen=True)
class _Brackets:
    opens: tuple[int, ...]  # sorted opening offsets
    closes: tuple[int, ...]  # matching closing offset (len(text) when unclosed)
    parents: tuple[int, ...]  # index of the enclosing group, -1 at top level


@functools.lru_cache(maxsize=64)
def _brackets(text: str) -> _Brackets:
    opens: list[int] = []
    closes: list[int] = []
    parents: list[int] = []
    stack: list[int] = []
    for m in _TOKEN_RE.finditer(text):
        ch = m.group(0)
        if len(ch) != 1:
            continue  # a string literal
        if ch in "([{":
            opens.append(m.start())
            closes.append(len(text))
            parents.append(stack[-1] if stack else -1)
            stack.append(len(opens) - 1)
        elif stack and text[opens[stack[-1]]] == _CLOSERS[ch]:
            closes[stack.pop()] = m.start()
    return _Brackets(tuple(opens), tuple(closes), tuple(parents))


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _head_of(text: str, open_pos: int) -> int:
    """Start of the line that opens a group; the line before when the opening line holds
    nothing but the bracket (C#/Java `{` on its own line)."""
    start = _line_start(text, open_pos)
    if not text[start:open_pos].strip() and start > 0:
        return _line_start(text, start - 1)
    return start


def bracket_scopes(text: str, pos: int, levels: int = 2) -> list[Scope]:
    """The bracket groups holding `pos`, innermost first (at most `levels`)."""
    b = _brackets(text)
    i = bisect.bisect_left(b.opens, pos) - 1
    out: list[Scope] = []
    steps = 0
    while i >= 0 and len(out) < levels and steps < MAX_DEPTH_WALK:
        steps += 1
        if b.closes[i] > pos:
            out.append(Scope(_head_of(text, b.opens[i]), b.opens[i] + 1, b.closes[i], "brackets"))
        i = b.parents[i]  # a group closed before pos: an ancestor may still hold it
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _is_content(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith(("#", "//", "--", "<!--"))


def indent_scopes(text: str, pos: int, levels: int = 2) -> list[Scope]:
    """The indented blocks holding `pos` (YAML, Elixir keyword lists), innermost first: each
    is the nearest less indented line above and the lines below it indented deeper."""
    out: list[Scope] = []
    line_start = _line_start(text, pos)
    line_end = text.find("\n", pos)
    level = _indent(text[line_start : len(text) if line_end < 0 else line_end])
    cursor = line_start
    while len(out) < levels and cursor > 0 and level > 0:
        # walk up to the parent line
        parent = -1
        p = cursor
        for _ in range(MAX_LINES_WALK):
            if p <= 0:
                break
            prev = _line_start(text, p - 1)
            line = text[prev : p - 1]
            if _is_content(line) and _indent(line) < level:
                parent = prev
                break
            p = prev
        if parent < 0:
            break
        parent_end = text.find("\n", parent)
        parent_end = len(text) if parent_end < 0 else parent_end
        parent_level = _indent(text[parent:parent_end])
        # the block ends at the next content line indented no deeper than the parent
        end = len(text)
        q = parent_end
        for _ in range(MAX_LINES_WALK):
            if q >= len(text):
                break
            nxt = text.find("\n", q + 1)
            nxt = len(text) if nxt < 0 else nxt
            line = text[q + 1 : nxt]
            if _is_content(line) and _indent(line) <= parent_level:
                end = q
                break
            q = nxt
        else:
            end = q
        out.append(Scope(parent, parent_end, end, "indent"))
        cursor, level = parent, parent_level
    return out


@functools.lru_cache(maxsize=16)
def _sections(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((m.start(), m.end()) for m in _SECTION_RE.finditer(text))


def section_scope(text: str, pos: int) -> Scope | None:
    """The INI/TOML `[section]` holding `pos`: its header line to the next header."""
    headers = _sections(text)
    i = bisect.bisect_right(headers, (pos, pos)) - 1
    if i < 0 or headers[i][1] > pos:
        return None
    end = headers[i + 1][0] if i + 1 < len(headers) else len(text)
    return Scope(headers[i][0], headers[i][1], end, "section")


# a driver's connect call (`self.connect(`, `_try_connect(`, `create_pool(`), or a
# connection-info record (Haskell's `defaultConnectInfo { … }`, `ConnectOptions {`)
_CONNECT_CALL_RE = re.compile(
    r"(?:connect\w*|create_pool)[ \t]*\($"
    r"|(?i:connect(?:ion)?(?:info|options|config|params|settings))\s{0,20}\{$"
)


def is_connect_call(text: str, scope: Scope) -> bool:
    """`scope` is the argument list of a connect call, or the fields of a connection-info
    record."""
    return scope.kind == "brackets" and bool(_CONNECT_CALL_RE.search(text, scope.head, scope.start))


# a constructor whose first argument is the host: Dart's `PostgreSQLConnection('h', 5432,
# 'db', username: …, password: …)` (postgres 2.x)
_POSITIONAL_HOST_CALL_RE = re.compile(r"\bPostgreSQLConnection[ \t]*\($")
_FIRST_STRING_ARG_RE = re.compile(r"""\s*(?:"([^"\\\n]{1,255})"|'([^'\\\n]{1,255})')\s*,""")


def positional_host(text: str, scope: Scope) -> str | None:
    """The host a connection constructor takes as its first argument, when `scope` is the
    argument list of one."""
    if scope.kind != "brackets" or not _POSITIONAL_HOST_CALL_RE.search(
            text, scope.head, scope.start):
        return None
    m = _FIRST_STRING_ARG_RE.match(text, scope.start)
    return (m.group(1) or m.group(2)) if m else None


# a call about key material, not a connection (`load_cert_chain(`, `ssl.wrap_socket(`)
_KEY_CALL_RE = re.compile(r"(?i)(?:cert|ssl|tls|pkcs|pfx|x509|keystore|private_?key)\w*[ \t]*\($")


def is_key_material_call(text: str, scope: Scope) -> bool:
    """`scope` is the argument list of a call that loads a certificate or key."""
    return scope.kind == "brackets" and bool(_KEY_CALL_RE.search(text, scope.head, scope.start))


def scopes(text: str, pos: int, levels: int = 2) -> list[Scope]:
    """The structure holding `pos`, innermost first: bracket groups, else indented blocks,
    else an INI section; the whole window when none of these holds it."""
    found = bracket_scopes(text, pos, levels) or indent_scopes(text, pos, levels)
    if not found:
        section = section_scope(text, pos)
        if section is not None:
            found = [section]
    return found or [Scope(0, 0, len(text), "window")]
