"""Run every signature over a chunk: keyword hits, then regexes in small windows."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from pgsweep.core.models import (
    Candidate,
    Chunk,
    FileProvenance,
    ParsedCredential,
    Provenance,
    SecretKind,
    provenance_path,
)
from pgsweep.detectors.json_gate import JsonGate
from pgsweep.detectors.match_gate import is_open
from pgsweep.detectors.prefilter import Locator
from pgsweep.detectors.signatures import Signature
from pgsweep.detectors.window_memo import WindowMatch, WindowMemo
from pgsweep.parsers import PARSERS

# Cap the text one window may cover, so a minified megabyte line costs a bounded regex run.
MAX_WINDOW = 64 * 1024
# A parser reads the text around its match (keys nearby, the enclosing string). It gets the
# signature's own lines around that match, at most 8-16 KiB either side, never the whole
# window merged from neighbouring hits: a file where every line holds a hit would otherwise
# cost each match a pass over the whole file.
MAX_CONTEXT = 8 * 1024
# Lines either side a path-scoped signature's parser reads (its window is the whole file):
# an INI section header or a service block sits within these of its password line.
PATH_SCOPED_REACH = 100
# A window this small is read whole by every parser: its cost per match is bounded.
WHOLE_WINDOW = 8 * 1024


# One hyperscan pass per chunk locates every keyword. A separate presence pass over a few
# short anchors first would save nothing: `pass` and `postgres` occur in almost every
# chunk of source code (docs/performance.md).
Windows = dict[int, list[tuple[int, int]]]


class _Plan:
    """The keyword index of a set of signatures: keyword -> signatures, and its locator."""

    def __init__(
        self, sigs: Sequence[tuple[int, Signature]], use_hyperscan: bool, engine: str | None,
    ) -> None:
        keywords: list[bytes] = []
        self.by_keyword: list[list[int]] = []
        for si, sig in sigs:
            for kw in sig.keywords:
                if kw not in keywords:
                    keywords.append(kw)
                    self.by_keyword.append([])
                self.by_keyword[keywords.index(kw)].append(si)
        self.keywords = tuple(keywords)
        self.locator = Locator(keywords, use_hyperscan=use_hyperscan, engine=engine)


class SignatureDetector:
    """The detector every source feeds: one locator pass per chunk, regexes only near hits."""

    def __init__(
        self, signatures: Sequence[Signature], use_hyperscan: bool = True,
        engine: str | None = None,
    ) -> None:
        """`engine` names the prefilter (`pgsweep.detectors.prefilter.ENGINES`); by default
        the fastest one installed."""
        self.signatures = tuple(signatures)
        self.use_hyperscan = use_hyperscan
        self.engine = engine
        self._plans: dict[str, _Plan] = {}
        self._pathonly = [
            si for si, s in enumerate(self.signatures) if not s.keywords and not s.handed]
        self._handed = {s.id: s for s in self.signatures if s.handed}
        self._last_path: tuple[tuple[str, str | None, str | None], tuple[int, ...]] | None = None
        self._json_gate: JsonGate | None = None
        self._memo = WindowMemo()

    def json_gate(self) -> JsonGate:
        """The gate over every signature's keywords, for readers that decode JSON records
        (`pgsweep.detectors.json_gate`)."""
        if self._json_gate is None:
            self._json_gate = JsonGate((kw for s in self.signatures for kw in s.keywords),
                                       self.use_hyperscan, self.engine)
        return self._json_gate

    def plan(self, kind: str) -> _Plan:
        """Keywords and locator for chunks of one provenance kind (built once)."""
        plan = self._plans.get(kind)
        if plan is None:
            plan = _Plan(
                [(si, s) for si, s in enumerate(self.signatures) if s.runs_on(kind)],
                self.use_hyperscan,
                self.engine,
            )
            self._plans[kind] = plan
        return plan

    def windows(self, chunk: Chunk) -> Windows:
        """Per signature index, the byte ranges (whole lines) its regex must look at."""
        data = chunk.data
        windows: Windows = {}
        plan = self.plan(chunk.provenance.kind)
        line_ends: dict[int, int] = {}  # keyword -> where the reach of its last window ends
        open_ends: set[int] = set()  # signatures whose last window the size cap left whole
        cleared = self._json_gate is not None and self._json_gate.cleared(data)
        for pos, ki in plan.locator.hits(data) if plan.keywords and not cleared else ():
            if pos <= line_ends.get(ki, -1):
                continue  # a second hit within this keyword's last window adds nothing
            end = data.find(b"\n", pos)
            # a long line's window is cut to MAX_WINDOW around its hit: a hit further on
            # gets its own window (with room for its match before that cut)
            line_ends[ki] = min(len(data) if end < 0 else end, pos + MAX_WINDOW // 4)
            # a chunk of several records: a window stays inside the hit's record
            lo, hi = chunk.record_bounds(pos) if chunk.records else (0, len(data))
            for si in plan.by_keyword[ki]:
                sig = self.signatures[si]
                ws = windows.setdefault(si, [])
                if si in open_ends and _extend_last(ws, data, pos, sig, lo, hi):
                    continue
                span = _line_span(data, pos, sig, lo, hi)
                window = _cap(span, pos)
                ws.append(window)
                if window == span:
                    open_ends.add(si)
                else:
                    open_ends.discard(si)
        if self._pathonly:
            p = chunk.provenance
            found = self._whole_chunk(p.kind, provenance_path(p), _reader(p))
            if found:
                whole = ([chunk.record_bounds(s) for s in chunk.records.starts]
                         if chunk.records else [(0, len(data))])
                for si in found:
                    windows.setdefault(si, []).extend(whole)
        return windows

    def _whole_chunk(self, kind: str, path: str | None, reader: str | None) -> tuple[int, ...]:
        """The keyword-less (path-scoped) signatures that read a chunk at this path whole.

        Remembered for the last path: a git scan reads every version of a file in a row,
        so the path's patterns are matched once per file, not once per version.
        """
        last = self._last_path  # read once: threads of a Dask worker share this detector
        if last is not None and last[0] == (kind, path, reader):
            return last[1]
        found = tuple(
            si for si in self._pathonly
            if self.signatures[si].runs_on(kind) and self.signatures[si].applies_to(path, reader)
        )
        self._last_path = ((kind, path, reader), found)
        return found

    def iter_candidates(self, chunk: Chunk, windows: Windows | None = None) -> Iterator[Candidate]:
        yield from self._iter_handed(chunk)
        if windows is None:
            windows = self.windows(chunk)
        if not windows:
            return
        path = provenance_path(chunk.provenance)
        reader = _reader(chunk.provenance)
        seen: set[tuple[str, int, int]] = set()
        lines = _LineCounter(chunk.data)
        # fallback signatures run last and yield to a candidate another signature already
        # made for the same line and secret, unless they know its user or host and it did not
        reported: dict[tuple[int, str | None], list[ParsedCredential]] = {}
        # and to another signature's match that holds theirs and knows as much: that form
        # read the text as a whole (a conninfo string in a code string, its escapes undone)
        spans: list[tuple[int, int, ParsedCredential]] = []
        for si in sorted(windows, key=lambda i: (self.signatures[i].fallback, i)):
            sig = self.signatures[si]
            if not sig.applies_to(path, reader) or not sig.runs_on(chunk.provenance.kind):
                continue
            for start, end in merge_windows(windows[si], chunk):
                for c in self._run(sig, chunk, start, end, seen, lines):
                    earlier = reported.setdefault((c.line, c.parsed.password), [])
                    if sig.fallback and (
                            any(_knows_as_much(p, c.parsed) for p in earlier)
                            or any(a < c.start < b and _knows_as_much(p, c.parsed)
                                   for a, b, p in spans)):
                        continue
                    earlier.append(c.parsed)
                    if not sig.fallback:
                        spans.append((c.start, c.end, c.parsed))
                    yield c

    def _iter_handed(self, chunk: Chunk) -> Iterator[Candidate]:
        """The credentials a reader handed over as fields, under their forms' rules (a
        rule not loaded, or not run on this kind of input, hands nothing)."""
        for h in chunk.handed:
            sig = self._handed.get(h.rule)
            if sig is None or not sig.runs_on(chunk.provenance.kind) or h.parsed.password is None:
                continue
            parsed = h.parsed if h.parsed.kind == sig.kind else _with_kind(h.parsed, sig)
            yield Candidate(rule=sig.id, parsed=parsed, start=0, end=0, line=h.line,
                            severity=sig.severity)

    def _run(
        self, sig: Signature, chunk: Chunk, start: int, end: int, seen: set[tuple[str, int, int]],
        lines: _LineCounter,
    ) -> Iterator[Candidate]:
        data = chunk.data
        window = data[start:end]
        if not is_open(sig.gate, window):
            return  # no literal every match needs: nothing to find
        found = self._memo.get(sig.id, window)
        if found is None:
            found = tuple(_parse_window(sig, window))
            self._memo.put(sig.id, window, found)
        for rel_start, rel_end, parsed in found:
            mstart, mend = start + rel_start, start + rel_end
            key = (sig.id, mstart, mend)
            if key in seen:
                continue
            seen.add(key)
            yield Candidate(
                rule=sig.id,
                parsed=parsed,
                start=mstart,
                end=mend,
                line=lines.line_at(mstart),
                severity=sig.severity,
                line_text=_line_of(data, mstart, mend),
            )


def _parse_window(sig: Signature, window: bytes) -> Iterator[WindowMatch]:
    """The signature's parsed matches in one window, at byte offsets into the window."""
    text = window.decode("utf-8", "surrogateescape")
    ascii_only = len(text) == len(window)
    parser = PARSERS[sig.parser]
    char_pos, byte_pos = 0, 0  # byte offsets of non-ASCII text, counted onward
    contexts = _Contexts()
    for m in sig.regex.finditer(text):
        if ascii_only:
            mstart, mend = m.start(), m.end()
        else:
            byte_pos += len(text[char_pos : m.start()].encode("utf-8", "surrogateescape"))
            char_pos = m.start()
            mstart = byte_pos
            mend = mstart + len(m.group(0).encode("utf-8", "surrogateescape"))
        parsed = parser(in_context(m, sig, contexts), sig.fields)
        if parsed is None or parsed.password is None:
            continue
        if parsed.kind != sig.kind:
            parsed = _with_kind(parsed, sig)
        yield mstart, mend, parsed


class _LineCounter:
    """1-based line numbers of byte offsets in one chunk, counted from the last offset
    asked for rather than from the start, so a file with thousands of matches is counted
    through once."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._line = 1

    def line_at(self, pos: int) -> int:
        if pos >= self._pos:
            self._line += self._data.count(b"\n", self._pos, pos)
        else:
            self._line -= self._data.count(b"\n", pos, self._pos)
        self._pos = pos
        return self._line


def _knows_as_much(earlier: ParsedCredential, later: ParsedCredential) -> bool:
    """Whether an earlier candidate for the same secret names the user and host the later
    one names (so the later one adds nothing)."""
    return (bool(earlier.user) or not later.user) and (bool(earlier.hosts) or not later.hosts)


class _Contexts:
    """The texts parsers read around the matches of one window (see `in_context`)."""

    def __init__(self) -> None:
        self._span = (-1, -1)
        self._text = ""

    def text(self, window: str, lo: int, hi: int) -> str:
        # Matches of one long line share their context: the same string object, so a
        # parser's cached verdict over it is worked out once, not once per match.
        if (lo, hi) != self._span:
            self._span, self._text = (lo, hi), window[lo:hi]
        return self._text


def in_context(m: re.Match[str], sig: Signature, contexts: _Contexts) -> re.Match[str]:
    """The same match over the text a parser may read: every line of any keyword window
    that can hold the match (its lines before and after, both ways), cut at most
    MAX_CONTEXT to 2 * MAX_CONTEXT characters beyond either end of the match (on a grid,
    so neighbouring matches on one long line read the same text)."""
    text = m.string
    if len(text) <= WHOLE_WINDOW:
        return m
    start, end = m.span()
    reach = sig.lines_before + sig.lines_after
    if not sig.keywords:  # path-scoped: the window is the whole file
        reach = max(reach, PATH_SCOPED_REACH)
    floor = max(0, (start // MAX_CONTEXT - 1) * MAX_CONTEXT)
    ceiling = min(len(text), (end // MAX_CONTEXT + 2) * MAX_CONTEXT)
    lo = text.rfind("\n", floor, start) + 1
    for _ in range(reach):
        if lo <= floor:
            break
        lo = text.rfind("\n", floor, lo - 1) + 1
    lo = max(lo, floor)
    hi = text.find("\n", end, ceiling)
    hi = ceiling if hi < 0 else hi
    for _ in range(reach):
        if hi >= ceiling:
            break
        nxt = text.find("\n", hi + 1, ceiling)
        hi = ceiling if nxt < 0 else nxt
    if lo == 0 and hi == len(text):
        return m
    again = sig.regex.match(contexts.text(text, lo, hi), start - lo)
    if again is None or again.span() != (start - lo, end - lo):
        return m  # the match reads beyond its context (a long lookaround): keep it whole
    return again


def _reader(p: Provenance) -> str | None:
    """The reader that produced a file chunk (path-scoped forms may follow it)."""
    return p.reader if isinstance(p, FileProvenance) else None


def _with_kind(parsed: ParsedCredential, sig: Signature) -> ParsedCredential:
    # A parser may decide the kind (a hash inside a password field); otherwise the signature's.
    if parsed.kind != SecretKind.PASSWORD:
        return parsed
    return replace(parsed, kind=sig.kind)


def _line_span(data: bytes, pos: int, sig: Signature, lo: int, hi: int) -> tuple[int, int]:
    """The hit's line and the signature's lines around it, within bytes lo..hi."""
    start = data.rfind(b"\n", lo, pos) + 1 or lo
    for _ in range(sig.lines_before):
        if start <= lo:
            break
        start = data.rfind(b"\n", lo, start - 1) + 1 or lo
    return start, _span_end(data, pos, sig, hi)


def _span_end(data: bytes, pos: int, sig: Signature, hi: int) -> int:
    """The end of the signature's last line after the hit's line, at most hi."""
    m = _lines_after(sig.lines_after).match(data, pos, hi)
    assert m is not None  # every part of the pattern may match empty
    return m.end()


@functools.cache
def _lines_after(n: int) -> re.Pattern[bytes]:
    """The rest of a line and the n lines after it, up to the newline that ends them: one
    call in C where a line-by-line walk costs n + 1."""
    return re.compile(rb"[^\n]*+(?:\n[^\n]*+){0,%d}+" % n)


def _cap(span: tuple[int, int], pos: int) -> tuple[int, int]:
    """A window over MAX_WINDOW cut to MAX_WINDOW around the hit at pos."""
    start, end = span
    if end - start > MAX_WINDOW:
        return max(start, pos - MAX_WINDOW // 2), min(end, pos + MAX_WINDOW // 2)
    return span


def _extend_last(
    ws: list[tuple[int, int]], data: bytes, pos: int, sig: Signature, lo: int, hi: int,
) -> bool:
    """Grow the signature's last window to cover the window of a hit inside it, without
    walking back over the lines before the hit; False when the hit needs its own window.

    Hits come in order, so the hit's window starts inside the last one (at or after its
    start, when the size cap left that one whole; at or before the hit) and the two merge
    into one: only the end is new. A window the size cap would cut at its end, or one in
    another record, is left to `_line_span`.
    """
    start, last_end = ws[-1]
    if not start <= pos <= last_end or not lo <= start or last_end > hi:
        return False
    end = _span_end(data, pos, sig, hi)
    if end - pos > MAX_WINDOW // 2:
        return False
    if end > last_end:
        ws[-1] = (start, end)
    return True


def merge_windows(
    windows: list[tuple[int, int]], chunk: Chunk | None = None,
) -> list[tuple[int, int]]:
    """Overlapping or adjacent windows as one; in a chunk of records, only within a record."""
    windows.sort()
    merged: list[tuple[int, int]] = []
    bounds = chunk.record_bounds if chunk is not None and chunk.records else None
    for s, e in windows:
        if merged and s <= merged[-1][1] + 1 and (
                bounds is None or bounds(s) == bounds(merged[-1][0])):
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _line_of(data: bytes, start: int, end: int) -> str:
    ls = data.rfind(b"\n", 0, start) + 1
    le = data.find(b"\n", end)
    le = len(data) if le < 0 else le
    # The last line of the match carries a trailing ignore comment, the first a leading one.
    return data[ls : min(le, ls + 4096)].decode("utf-8", "replace")
