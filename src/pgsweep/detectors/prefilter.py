"""Position-reporting multi-literal prefilter over whole chunks (hyperscan, or bytes.find).

Most chunks hold no literal at all, so the common path must cost one pass in C and no
Python per byte: hyperscan (when installed) reports every occurrence in one scan. Without
hyperscan the same positions come from one `bytes.find` sweep per literal over a
lowercase copy.
"""

from __future__ import annotations

from collections.abc import Sequence

try:  # optional accelerator; the pure-Python path gives the same hits
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the environment
    _hs = None  # type: ignore[assignment]


def hyperscan_available() -> bool:
    return _hs is not None


class Locator:
    """Every (start offset, literal index) of case-insensitive literals, in one pass."""

    def __init__(self, literals: Sequence[bytes], use_hyperscan: bool = True) -> None:
        self.literals = tuple(k.lower() for k in literals)
        self._lens = [len(k) for k in self.literals]
        self._db = None
        if use_hyperscan and _hs is not None and self.literals:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[_hs_literal(k) for k in self.literals],
                ids=list(range(len(self.literals))),
                flags=[_hs.HS_FLAG_CASELESS] * len(self.literals),
            )
            self._db = db

    @property
    def engine(self) -> str:
        return "hyperscan" if self._db is not None else "find"

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        """(start, index) pairs, sorted by start (then index)."""
        out: list[tuple[int, int]] = []
        if self._db is not None:
            lens = self._lens

            def on_match(idx: int, start: int, end: int, flags: int, ctx: object) -> None:
                out.append((end - lens[idx], idx))

            self._db.scan(data, match_event_handler=on_match)
            if len(out) > 1:
                out.sort()
            return out
        low = data.lower()
        for idx, kw in enumerate(self.literals):
            pos = low.find(kw)
            while pos >= 0:
                out.append((pos, idx))
                pos = low.find(kw, pos + 1)
        out.sort()
        return out


def _hs_literal(keyword: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b for b in keyword)
