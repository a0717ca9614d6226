"""Quoted bodies and escape digits, read as string forms with a doubled quote read them."""

from __future__ import annotations

from collections.abc import Callable

OCTAL = "01234567"
HEX = "0123456789abcdefABCDEF"


def digit_run(text: str, i: int, digits: str, most: int) -> int:
    """The index after the run of at most `most` characters of `digits` starting at `i`."""
    end = min(len(text), i + most)
    j = i
    while j < end and text[j] in digits:
        j += 1
    return j


# At a backslash: the character it stands for and the index after the escape, or None
# when the backslash is an ordinary character there.
Escape = Callable[[str, int], tuple[str, int] | None]


def doubled_quote_body(
    text: str, start: int, quote: str, *, escape: Escape | None = None, ends: str = ""
) -> tuple[str, bool]:
    """The body from `start` up to the closing `quote`, where a doubled quote stands for
    one and `escape` reads each backslash; a character in `ends` (or the text's end) stops
    the body too. Returns the body and whether the closing quote was found."""
    out: list[str] = []
    i, n = start, len(text)
    while i < n and text[i] not in ends:
        ch = text[i]
        escaped = escape(text, i) if ch == "\\" and escape is not None else None
        if escaped is not None:
            out.append(escaped[0])
            i = escaped[1]
            continue
        if ch == quote:
            if text.startswith(quote, i + 1):
                out.append(quote)
                i += 2
                continue
            return "".join(out), True
        out.append(ch)
        i += 1
    return "".join(out), False
