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
# Raw text that cannot show every keyword it holds: a NUL (UTF-16 or UTF-32 text), a
# printable ASCII character written as a \u escape, a Kubernetes Secret (whose base64
# values a decoder reads without keywords).
_UNJUDGEABLE = (b"\x00", *(b"\\u00%d" % d for d in range(2, 8)), b"secret")


def encodings(keyword: bytes) -> set[bytes]:
    """Every way `keyword` may appear in raw JSON text (keywords are short: few variants)."""
    options = [_ENCODINGS.get(b, (bytes([b]),)) for b in keyword]
    return {b"".join(combo) for combo in itertools.product(*options)}


class JsonGate:
    """Keyword positions in raw JSON text, found as its decoded strings would hold them."""

    def __init__(
        self, keywords: Iterable[bytes], use_hyperscan: bool = True, engine: str | None = None,
    ) -> None:
        variants: set[bytes] = set()
        for kw in keywords:
            variants |= encodings(kw.lower())
        self._literals = (*sorted(variants), *_UNJUDGEABLE)
        self._markers = len(self._literals) - len(_UNJUDGEABLE)
        self._use_hyperscan = use_hyperscan
        self._engine = engine
        self._locator: Locator | None = None  # built on first use: most scans have no JSON
        self._cleared: bytes | None = None  # the last text found to hold no keyword at all

    def hits(self, raw: bytes) -> list[int] | None:
        """Start offsets of the keywords as `raw` writes them, in order (one pass); None
        when the raw text cannot show every keyword it holds."""
        if self._locator is None:
            self._locator = Locator(self._literals, self._use_hyperscan, self._engine)
        found = self._locator.hits(raw)
        self._cleared = None if found else raw
        if any(index >= self._markers for _, index in found):
            return None
        return [pos for pos, _ in found]

    def cleared(self, data: bytes) -> bool:
        """Whether `data` is the very text the last `hits` call found no keyword in (a
        reader hands such a text on as it is: the detector need not look again)."""
        return data is self._cleared

    def may_hold(self, raw: bytes) -> bool:
        """False only when no decoded string of `raw` can hold a keyword."""
        return self.hits(raw) != []
