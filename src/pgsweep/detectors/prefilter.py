"""Position-reporting multi-literal prefilter over whole blobs (hyperscan, or bytes.find).

Most blobs hold no keyword at all, so the common path must cost one pass in C and no
Python per byte: hyperscan (when installed) reports at most one match per keyword per
blob, and only blobs with a hit pay for a lowercase copy and `bytes.find` to list every
position. Without hyperscan the same positions come from `bytes.find` alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

try:  # optional accelerator; the pure-Python path gives the same hits
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the environment
    _hs = None  # type: ignore[assignment]


def hyperscan_available() -> bool:
    return _hs is not None


class Prefilter:
    """Reports (offset, keyword index) for every case-insensitive keyword occurrence."""

    def __init__(self, keywords: Sequence[bytes], use_hyperscan: bool = True) -> None:
        self.keywords = tuple(k.lower() for k in keywords)
        self._db = None
        if use_hyperscan and _hs is not None and self.keywords:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[_hs_literal(k) for k in self.keywords],
                ids=list(range(len(self.keywords))),
                flags=[_hs.HS_FLAG_CASELESS | _hs.HS_FLAG_SINGLEMATCH] * len(self.keywords),
            )
            self._db = db

    @property
    def engine(self) -> str:
        return "hyperscan" if self._db is not None else "find"

    def present(self, data: bytes) -> list[int]:
        """Indexes of the keywords that occur in `data` at least once."""
        if self._db is not None:
            found: list[int] = []
            self._db.scan(data, match_event_handler=_collect, context=found)
            return found
        low = data.lower()
        return [i for i, kw in enumerate(self.keywords) if kw in low]

    def iter_hits(self, data: bytes) -> Iterator[tuple[int, int]]:
        """Yield (start offset, keyword index) of every occurrence, grouped by keyword."""
        present = self.present(data)
        if not present:
            return
        low = data.lower()
        for idx in sorted(present):
            kw = self.keywords[idx]
            pos = low.find(kw)
            while pos >= 0:
                yield pos, idx
                pos = low.find(kw, pos + 1)


def _collect(idx: int, start: int, end: int, flags: int, found: object) -> None:
    assert isinstance(found, list)
    found.append(idx)


class Locator:
    """Every (start offset, literal index) of case-insensitive literals, in one pass.

    The second stage after `Prefilter.present`: it runs only on chunks that hold an
    anchor, and replaces one `bytes.find` sweep per keyword with a single hyperscan scan.
    """

    def __init__(self, literals: Sequence[bytes], use_hyperscan: bool = True) -> None:
        self.literals = tuple(k.lower() for k in literals)
        self._db = None
        if use_hyperscan and _hs is not None and self.literals:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[_hs_literal(k) for k in self.literals],
                ids=list(range(len(self.literals))),
                flags=[_hs.HS_FLAG_CASELESS] * len(self.literals),
            )
            self._db = db

    def hits(self, data: bytes, wanted: Sequence[int] | None = None) -> list[tuple[int, int]]:
        """(start, index) pairs, sorted; `wanted` limits the find fallback to some literals."""
        if self._db is not None:
            found: list[tuple[int, int]] = []
            lens = [len(k) for k in self.literals]

            def on_match(idx: int, start: int, end: int, flags: int, ctx: object) -> None:
                found.append((end - lens[idx], idx))

            self._db.scan(data, match_event_handler=on_match)
            found.sort()
            return found
        low = data.lower()
        out: list[tuple[int, int]] = []
        for idx in range(len(self.literals)) if wanted is None else wanted:
            kw = self.literals[idx]
            pos = low.find(kw)
            while pos >= 0:
                out.append((pos, idx))
                pos = low.find(kw, pos + 1)
        out.sort()
        return out


def _hs_literal(keyword: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b for b in keyword)
