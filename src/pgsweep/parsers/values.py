"""Read one value as configs, code strings and shells write it.

Quotes and escapes are undone, a trailing comment dropped, and a shell default
(`${VAR:-value}`) is taken as the value.
"""

from __future__ import annotations

import re

# shell ${VAR:-d} ${VAR-d} ${VAR:=d}; Spring ${key:d}
_DEFAULT_RE = re.compile(r"^\$\{[A-Za-z_][\w.]*(?::-|-|:=|=|:(?![-=?+\d ]))(?P<d>[^}]*)\}$")
_JSON_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "0": "\0"}


# A typed field's annotation between its `:` and its value (`POSTGRES_USER: str = "app"` in
# pydantic settings and dataclasses, `password: string = "…"` in TypeScript): the value is
# what follows the `=`. Signature patterns that read such fields repeat it verbatim.
TYPE_ANNOTATION = (
    r"(?:Optional\[)?(?:str|string|String|SecretStr|int|number)\]?(?:[ \t]*\|[ \t]*None)?"
    r"[ \t]*=[ \t]*"
)


# A name in code, maybe dotted (`secret_value`, `settings.db_password`,
# `generate_random_string`): a variable, attribute or function, not a value.
CODE_NAME_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


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
