"""Position-reporting multi-literal prefilter over whole chunks.

Most chunks hold no literal at all, so the common path must cost one pass in C and no
Python per byte. Three engines give the same hits, the first one installed wins:
hyperscan (one scan, every occurrence; a default dependency where it ships wheels),
an Aho-Corasick automaton from ahocorasick-rs (one pass over a lowercase copy, about a
fifth of hyperscan's speed), and one `bytes.find` sweep per literal (pure Python, slowest:
its cost grows with the number of literals).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from functools import cache
from types import ModuleType
from typing import Any

ENGINES = ("hyperscan", "automaton", "find")
_MODULES = {"hyperscan": "hyperscan", "automaton": "ahocorasick_rs"}


@cache
def _module(engine: str) -> ModuleType | None:
    """The accelerator library behind an engine, imported on first use (importing
    hyperscan costs ~20 ms that a command which scans nothing should not pay), or None
    when it is not installed."""
    name = _MODULES.get(engine)
    if name is None:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def is_available(engine: str) -> bool:
    """Whether an engine can run here (`find` always can)."""
    return engine == "find" or _module(engine) is not None


def best_engine(use_hyperscan: bool = True) -> str:
    """The fastest engine installed (hyperscan only if allowed)."""
    for engine in ENGINES:
        if (engine != "hyperscan" or use_hyperscan) and is_available(engine):
            return engine
    return "find"


class Locator:
    """Every (start offset, literal index) of case-insensitive literals, in one pass."""

    def __init__(
        self, literals: Sequence[bytes], use_hyperscan: bool = True, engine: str | None = None,
    ) -> None:
        self.literals = tuple(k.lower() for k in literals)
        self._lens = [len(k) for k in self.literals]
        self.engine = engine or best_engine(use_hyperscan)
        if not is_available(self.engine):
            raise ValueError(f"prefilter engine {self.engine!r} is not installed")
        self._db: Any = None
        self._automaton: Any = None
        # hyperscan's scratch space serves one scan at a time: one per thread (a Dask
        # worker runs several scans at once in its threads)
        self._scratch = threading.local()
        if not self.literals:
            return
        if self.engine == "hyperscan":
            self._db = _hyperscan_database(self.literals)
        elif self.engine == "automaton":
            aho: Any = _module("automaton")
            self._automaton = aho.BytesAhoCorasick(list(self.literals))

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        """(start, index) pairs, sorted by start (then index)."""
        out: list[tuple[int, int]] = []
        if self._db is not None:
            lens = self._lens

            def on_match(idx: int, start: int, end: int, flags: int, ctx: object) -> None:
                out.append((end - lens[idx], idx))

            self._db.scan(data, match_event_handler=on_match, scratch=self._thread_scratch())
        elif self._automaton is not None:
            found = self._automaton.find_matches_as_indexes(data.lower(), overlapping=True)
            out = [(start, idx) for idx, start, _ in found]
        else:
            low = data.lower()
            for idx, kw in enumerate(self.literals):
                pos = low.find(kw)
                while pos >= 0:
                    out.append((pos, idx))
                    pos = low.find(kw, pos + 1)
        if len(out) > 1:
            out.sort()
        return out

    def _thread_scratch(self) -> Any:
        """This thread's hyperscan scratch space for the database, made on first use."""
        scratch = getattr(self._scratch, "space", None)
        if scratch is None:
            scratch = self._scratch.space = _new_scratch(self._db)
        return scratch


def _new_scratch(db: Any) -> Any:
    hs: Any = _module("hyperscan")
    return hs.Scratch(db)


def _hyperscan_database(literals: Sequence[bytes]) -> Any:
    hs: Any = _module("hyperscan")
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(
        expressions=[_hs_literal(k) for k in literals],
        ids=list(range(len(literals))),
        flags=[hs.HS_FLAG_CASELESS] * len(literals),
    )
    return db


def _hs_literal(keyword: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b for b in keyword)
