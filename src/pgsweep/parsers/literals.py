r"""Read a string literal from source code as its language reads it.

A password written in code is the value the program sees, not the text in the file:
`"sooper\\secret"` in Go, Java, C#, JavaScript, Python or Ruby is `sooper\secret`.
The quote style and prefix say how to read a literal:

- `"…"`: C-family escapes (`\\ \" \' \n \t \r \0 \a \b \f \v`, `\xHH`, `\uHHHH`,
  `\u{H…}`, `\UHHHHHHHH`, octal `\NNN`); an unknown escape keeps its character.
- `'…'`: with `lang` `python` or `js`, like `"…"`; otherwise (Ruby, PHP, shell, YAML) only
  `\'` and `\\` are escapes, and YAML's `''` is a quote.
- `r"…"`, `r'…'` (Python raw) and `@"…"` (C# verbatim, `""` is a quote): as written.
- `` `…` ``: Go reads it raw; JavaScript (`lang` `js`, or a `` \` `` inside) reads its
  escapes, and a `${…}` in it is a reference.

`decode` returns None for text that is not one whole literal.
"""

from __future__ import annotations

import functools
import re

from pgsweep.parsers.escapes import HEX, doubled_quote_body

_SIMPLE = {
    "n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
    "e": "\x1b", "s": " ",
}
_HEX = {"x": 2, "u": 4, "U": 8}
_OCTAL_RE = re.compile(r"[0-7]{1,3}")
_PREFIX_RE = re.compile(r"^(?P<prefix>[rRbBuUfF]{1,2}|@|\$@|@\$|\$)?(?P<quote>\"\"\"|'''|[\"'`])")


def unescape(body: str) -> str:
    """C-family backslash escapes undone (the union Go, Java, C#, JS, Python, Ruby share)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u" and body[i + 2 : i + 3] == "{":
            end = body.find("}", i + 3)
            digits = body[i + 3 : end] if end > 0 else ""
            if 0 < len(digits) <= 6 and all(c in HEX for c in digits):
                out.append(_chr(int(digits, 16)))
                i = end + 1
                continue
        if nxt in _HEX:
            width = _HEX[nxt]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) == width and all(c in HEX for c in digits):
                out.append(_chr(int(digits, 16)))
                i += 2 + width
                continue
        if nxt in "1234567" or (nxt == "0" and body[i + 2 : i + 3].isdigit()):
            m = _OCTAL_RE.match(body, i + 1)
            if m is not None:
                out.append(_chr(int(m.group(0), 8)))
                i = m.end()
                continue
        out.append(_SIMPLE.get(nxt, nxt))
        i += 2
    return "".join(out)


def _quote_or_backslash(text: str, i: int) -> tuple[str, int] | None:
    """Single-quoted strings of Ruby, PHP and shells: only `\\'` and `\\\\` are escapes."""
    nxt = text[i + 1 : i + 2]
    return (nxt, i + 2) if nxt in ("'", "\\") else None


def _chr(code: int) -> str:
    try:
        return chr(code)
    except ValueError:
        return "\ufffd"


def quoted_body(text: str, start: int, quote: str, escapes: bool) -> str | None:
    """The text between the opening quote (ending at `start`) and its closing quote, as
    written (with `escapes`, a backslash and the character after it are passed over);
    None when the quote does not close."""
    if not escapes:
        end = text.find(quote, start)
        return None if end < 0 else text[start:end]
    if len(quote) == 1:
        m = _escaped_body_re(quote).match(text, start)
        return None if m is None else text[start : m.end() - 1]
    i, n = start, len(text)
    while i < n:
        if text[i] == "\\" and i + 1 < n:
            i += 2
            continue
        if text.startswith(quote, i):
            return text[start:i]
        i += 1
    return None


@functools.lru_cache(maxsize=8)
def _escaped_body_re(quote: str) -> re.Pattern[str]:
    """A string body up to and with its closing `quote` (one character), a backslash
    passing over the character after it."""
    q = re.escape(quote)
    return re.compile(rf"(?s)(?:[^\\{q}]++|\\.)*+{q}")


def decode(raw: str, lang: str = "") -> str | None:
    """The value of the literal `raw` (with its quotes and prefix) in `lang`
    (`go`, `java`, `csharp`, `js`, `python`, `ruby`, `elixir`, or empty for any)."""
    s = raw.strip()
    m = _PREFIX_RE.match(s)
    if m is None:
        return None
    prefix = (m.group("prefix") or "").lower()
    quote = m.group("quote")
    start = m.end()
    if "@" in prefix:  # C# verbatim: "" is a quote, no escapes
        verbatim, closed = doubled_quote_body(s, start, '"')
        return verbatim if closed else None
    if "r" in prefix:
        return quoted_body(s, start, quote, escapes=False)
    if quote == "`":
        js = lang == "js" or (lang != "go" and "\\`" in s)
        body = quoted_body(s, start, quote, escapes=js)
        return None if body is None else unescape(body) if js else body
    if quote == "'" and lang not in ("python", "js"):
        # Ruby, PHP, shell, YAML-ish single quotes: only \' and \\ (and YAML's '')
        single, closed = doubled_quote_body(s, start, "'", escape=_quote_or_backslash)
        return single if closed else None
    body = quoted_body(s, start, quote, escapes=True)
    return None if body is None else unescape(body)


_ASSIGNED_LIT = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`)"""


@functools.lru_cache(maxsize=256)
def assigned_literal(text: str, name: str) -> str | None:
    """The literal (quotes and all) that a line of `text` assigns to the bare name `name`
    (`var host = 'h';`, `const user = "u"`, `host := "h"`, `$host = 'h';`), the last such
    line winning; None when no line does."""
    found = None
    for m in re.finditer(
        rf"(?m)^[ \t]*(?:(?:var|let|const|val|final|my|our)[ \t]+)?\$?{re.escape(name)}"
        rf"[ \t]*:?=[ \t]*({_ASSIGNED_LIT})[ \t]*(?:;[ \t]*)?(?:(?://|#).*)?$",
        text,
    ):
        found = m.group(1)
    return found
