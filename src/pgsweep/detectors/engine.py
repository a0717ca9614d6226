"""Run every signature over a chunk: prefilter hits, then regexes in small windows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pgsweep.models import Candidate, Chunk, ParsedCredential, provenance_path
from pgsweep.parsers import PARSERS
from pgsweep.signatures import Signature

# Cap the text one window may cover, so a minified megabyte line costs a bounded regex run.
MAX_WINDOW = 64 * 1024


class SignatureDetector:
    """The detector every source feeds: one prefilter pass per chunk, regexes only near hits."""

    def __init__(self, signatures: Sequence[Signature], use_hyperscan: bool = True) -> None:
        from pgsweep.detectors.prefilter import Prefilter

        self.signatures = tuple(signatures)
        keywords: list[bytes] = []
        self._by_keyword: list[list[int]] = []
        for si, sig in enumerate(self.signatures):
            for kw in sig.keywords:
                if kw not in keywords:
                    keywords.append(kw)
                    self._by_keyword.append([])
                self._by_keyword[keywords.index(kw)].append(si)
        self._pathonly = [si for si, s in enumerate(self.signatures) if not s.keywords]
        self.prefilter = Prefilter(keywords, use_hyperscan=use_hyperscan)

    def iter_candidates(self, chunk: Chunk) -> Iterator[Candidate]:
        data = chunk.data
        path = provenance_path(chunk.provenance)
        windows: dict[int, list[tuple[int, int]]] = {}
        for pos, kw in self.prefilter.iter_hits(data):
            for si in self._by_keyword[kw]:
                sig = self.signatures[si]
                windows.setdefault(si, []).append(_line_window(data, pos, sig))
        for si in self._pathonly:
            if self.signatures[si].applies_to(path):
                windows.setdefault(si, []).append((0, len(data)))
        seen: set[tuple[str, int, int]] = set()
        for si in sorted(windows):
            sig = self.signatures[si]
            if not sig.applies_to(path):
                continue
            for start, end in _merge(windows[si]):
                yield from self._run(sig, chunk, start, end, seen)

    def _run(
        self, sig: Signature, chunk: Chunk, start: int, end: int, seen: set[tuple[str, int, int]]
    ) -> Iterator[Candidate]:
        data = chunk.data
        text = data[start:end].decode("utf-8", "surrogateescape")
        ascii_only = len(text) == end - start
        parser = PARSERS[sig.parser]
        for m in sig.regex.finditer(text):
            if ascii_only:
                mstart, mend = start + m.start(), start + m.end()
            else:
                mstart = start + len(text[: m.start()].encode("utf-8", "surrogateescape"))
                mend = mstart + len(m.group(0).encode("utf-8", "surrogateescape"))
            key = (sig.id, mstart, mend)
            if key in seen:
                continue
            seen.add(key)
            parsed = parser(m, sig.fields)
            if parsed is None or parsed.password is None:
                continue
            if parsed.kind != sig.kind:
                parsed = _with_kind(parsed, sig)
            line = data.count(b"\n", 0, mstart) + 1
            yield Candidate(
                rule=sig.id,
                parsed=parsed,
                start=mstart,
                end=mend,
                line=line,
                severity=sig.severity,
                line_text=_line_of(data, mstart, mend),
            )


def _with_kind(parsed: ParsedCredential, sig: Signature) -> ParsedCredential:
    from dataclasses import replace

    # A parser may decide the kind (a hash inside a password field); otherwise the signature's.
    from pgsweep.models import SecretKind

    if parsed.kind != SecretKind.PASSWORD:
        return parsed
    return replace(parsed, kind=sig.kind)


def _line_window(data: bytes, pos: int, sig: Signature) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, pos) + 1
    for _ in range(sig.lines_before):
        if start <= 0:
            break
        start = data.rfind(b"\n", 0, start - 1) + 1
    end = data.find(b"\n", pos)
    end = len(data) if end < 0 else end
    for _ in range(sig.lines_after):
        if end >= len(data):
            break
        nxt = data.find(b"\n", end + 1)
        end = len(data) if nxt < 0 else nxt
    if end - start > MAX_WINDOW:
        start = max(start, pos - MAX_WINDOW // 2)
        end = min(end, pos + MAX_WINDOW // 2)
    return start, end


def _merge(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    windows.sort()
    merged: list[tuple[int, int]] = []
    for s, e in windows:
        if merged and s <= merged[-1][1] + 1:
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
