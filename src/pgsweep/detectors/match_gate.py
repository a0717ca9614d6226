"""The literals a regex cannot match without: a cheap test that skips a regex run.

A keyword hit sends a window to a signature's regex. A file where the keyword is on every
line (a chart's changelog naming `bitnami/postgresql` in each entry) gives windows the
regex scans end to end and never matches, once per version of the file in a history. When
every match of the regex contains one of a few literals (`password`, `auth.password=`), a
window holding none of them cannot match: one `bytes.find` per literal decides it.

The literals are read from the regex's parse tree: a run of literal characters the match
must contain, the union over the branches of an alternation, the body of a group or of a
repeat taken at least once, the text a lookahead or lookbehind must see. They are compared
in lower case, which holds for case-sensitive and case-insensitive patterns alike, on ASCII
text (Unicode case folding maps other characters onto ASCII letters).
"""

from __future__ import annotations

from collections.abc import Iterable
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# Literals shorter than this, or more of them than this, make no useful test.
MIN_LENGTH = 3
MAX_LITERALS = 8

Literals = frozenset[str]


def required_literals(pattern: str, flags: int = 0) -> tuple[bytes, ...]:
    """Lower-case literals, one of which every match of `pattern` contains; () when the
    pattern has no such short set (or its literals are not ASCII)."""
    try:
        tree = sre_parse.parse(pattern, flags)
    except Exception:  # noqa: BLE001 -- a pattern re cannot parse has no gate
        return ()
    found = _sequence(list(tree))
    if not found or len(found) > MAX_LITERALS or not all(s.isascii() for s in found):
        return ()
    return tuple(sorted(s.encode("ascii") for s in found))


def is_open(gate: tuple[bytes, ...], window: bytes) -> bool:
    """Whether the regex behind `gate` may match in `window` (always, without a gate or
    for text that is not ASCII)."""
    if not gate or not window.isascii():
        return True
    low = window.lower()
    return any(literal in low for literal in gate)


def _better(a: Literals | None, b: Literals | None) -> Literals | None:
    """The set whose shortest literal is longer (it rules out more windows)."""
    if b is None:
        return a
    if a is None:
        return b
    return b if min(map(len, b)) > min(map(len, a)) else a


def _sequence(items: Iterable[tuple[Any, Any]]) -> Literals | None:
    """The best required set of a sequence: any element it cannot match without."""
    best: Literals | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best
        if len(run) >= MIN_LENGTH:
            best = _better(best, frozenset({"".join(run).lower()}))
        run.clear()

    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        flush()
        best = _better(best, _element(op, av))
    flush()
    return best


def _element(op: Any, av: Any) -> Literals | None:
    """The required set of one element that is not a literal character, or None."""
    if op is sre.SUBPATTERN:
        return _sequence(list(av[3]))
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(av))
    if op is sre.BRANCH:
        parts = [_sequence(list(branch)) for branch in av[1]]
        if any(p is None for p in parts):
            return None
        return frozenset().union(*(p for p in parts if p is not None))
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _, body = av
        return _sequence(list(body)) if low >= 1 else None
    if op is sre.ASSERT:  # a lookahead or lookbehind: its text is in the window too
        return _sequence(list(av[1]))
    return None  # a class, an anchor, a negative lookaround, a back reference
