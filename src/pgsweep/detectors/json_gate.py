"""Whether a JSON document could hold a keyword once its strings are decoded.

A reader that decodes JSON record by record (a chat export's day files) asks this first:
most documents hold no keyword, and a document the gate clears is proven to hold none in
any string, so its records need not be decoded. The gate looks for each keyword as JSON
may write it (`/` as `\\/`, `"` as `\\"`, `\\` as `\\\\`) and as chat exports escape
`&`, `<` and `>` (`&amp;`, `&lt;`, `&gt;`). A document it cannot judge that way (text
that escapes ASCII letters as `\\u00XX`, UTF-16 or UTF-32 text) is always let through,
and so is one a decoder reads without keywords (a Kubernetes Secret's base64 values).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from pgsweep.detectors.prefilter import Locator

# How a character of a keyword may appear in a JSON document's raw text.
_ENCODINGS: dict[int, tuple[bytes, ...]] = {
    ord("/"): (b"/", b"\\/"),
    ord('"'): (b'\\"',),
    ord("\\"): (b"\\\\",),
    ord("&"): (b"&", b"&amp;"),
    ord("<"): (b"<", b"&lt;"),
    ord(">"): (b">", b"&gt;"),
}
# A printable ASCII character written as a \u escape: the raw text cannot be judged.
_ASCII_ESCAPE = re.compile(rb"\\u00[2-7][0-9a-f]", re.IGNORECASE)


def encodings(keyword: bytes) -> set[bytes]:
    """Every way `keyword` may appear in raw JSON text (keywords are short: few variants)."""
    options = [_ENCODINGS.get(b, (bytes([b]),)) for b in keyword]
    return {b"".join(combo) for combo in itertools.product(*options)}


class JsonGate:
    """Keyword positions in raw JSON text, and whether its decoded strings may hold one."""

    def __init__(
        self, keywords: Iterable[bytes], use_hyperscan: bool = True, engine: str | None = None,
    ) -> None:
        variants: set[bytes] = set()
        for kw in keywords:
            variants |= encodings(kw.lower())
        self._variants = sorted(variants)
        self._use_hyperscan = use_hyperscan
        self._engine = engine
        self._locator: Locator | None = None  # built on first use: most scans have no JSON

    def judgeable(self, raw: bytes) -> bool:
        """Whether the raw text shows every keyword it holds (no NUL of a UTF-16/32 text,
        no ASCII letter escaped as \\u00XX, no Kubernetes Secret to decode)."""
        if b"\x00" in raw or _ASCII_ESCAPE.search(raw) is not None:
            return False
        return not (b"Secret" in raw and b"data" in raw)

    def hits(self, raw: bytes) -> list[int]:
        """Start offsets of the keywords as `raw` writes them, in order."""
        if self._locator is None:
            self._locator = Locator(self._variants, self._use_hyperscan, self._engine)
        return [pos for pos, _ in self._locator.hits(raw)]

    def may_hold(self, raw: bytes) -> bool:
        """False only when no decoded string of `raw` can hold a keyword."""
        return not self.judgeable(raw) or bool(self.hits(raw))

