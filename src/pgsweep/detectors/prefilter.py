"""Position-reporting multi-literal prefilter over whole blobs (hyperscan, or bytes.find)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

try:  # optional accelerator; the pure-Python path gives the same hits
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the environment
    _hs = None


class Prefilter:
    """Reports (offset, keyword index) for every case-insensitive keyword occurrence."""

    def __init__(self, keywords: Sequence[bytes], use_hyperscan: bool = True) -> None:
        self.keywords = tuple(k.lower() for k in keywords)
        self._db = None
        if use_hyperscan and _hs is not None and self.keywords:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            expressions = [_hs_literal(k) for k in self.keywords]
            db.compile(
                expressions=expressions,
                ids=list(range(len(expressions))),
                flags=[_hs.HS_FLAG_CASELESS] * len(expressions),
            )
            self._db = db

    @property
    def engine(self) -> str:
        return "hyperscan" if self._db is not None else "find"

    def iter_hits(self, data: bytes) -> Iterator[tuple[int, int]]:
        """Yield (start offset, keyword index), in no particular order."""
        if self._db is not None:
            hits: list[tuple[int, int]] = []

            def on_match(idx: int, start: int, end: int, flags: int, ctx: object) -> None:
                hits.append((end - len(self.keywords[idx]), idx))

            self._db.scan(data, match_event_handler=on_match)
            yield from hits
            return
        low = data.lower()
        for idx, kw in enumerate(self.keywords):
            pos = low.find(kw)
            while pos >= 0:
                yield pos, idx
                pos = low.find(kw, pos + 1)


def _hs_literal(keyword: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b for b in keyword)
