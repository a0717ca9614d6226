"""Make scanned text safe to show: undecodable bytes and control characters become escapes.

Text from scanned input (user and host names, paths, databases) lives in memory as `str`
whose undecodable bytes are surrogate escapes (U+DC80..U+DCFF, as Python decodes file
names). None of it is written raw:

- `printable` is for people (terminal, Markdown, CSV, HTML): an undecodable byte shows as
  `\\xff`, a control or invisible formatting character (escape sequences, bidirectional
  overrides, zero-width characters, line separators) as `\\x1b` or `\\u202e`, and `\\n`,
  `\\r`, `\\t` as themselves escaped;
- `utf8_text` is for JSON and SARIF, whose own escapes already keep control characters
  inert: only undecodable bytes (and any other lone surrogate) become `\\xff` (`\\ud800`).

Both return text that encodes as UTF-8; a literal backslash is left as it is.
"""

from __future__ import annotations

import re
from typing import Any

# Every character of Unicode's categories Cc (controls), Cf (format: bidi overrides,
# zero-width, tags), Cs (surrogates), Zl and Zp (line and paragraph separators).
# tests/test_display.py checks this class against unicodedata.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if ch in _NAMED:
        return _NAMED[ch]
    if code < 0x80:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """`text` with undecodable bytes and control or invisible characters escaped."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


def printable_lines(text: str) -> str:
    """`printable` for a message of several lines: its newlines are kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


def utf8_text(text: str) -> str:
    """`text` with its undecodable bytes (lone surrogates) escaped; nothing else changes."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: _escape(m.group()), text)


def utf8_data(value: Any) -> Any:
    """A JSON-ready value (dicts, lists, tuples, strings, numbers) with `utf8_text` applied to
    every string, keys included."""
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, dict):
        return {utf8_data(k): utf8_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [utf8_data(v) for v in value]
    return value


def counted(n: int, noun: str) -> str:
    """A count with its noun in agreement: `1 credential`, `2 credentials`, `1,481 bytes`."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
