"""Find regex shapes whose backtracking time grows faster than the input (a static check).

Python's `re` backtracks. Two shapes make it superlinear, and both are refused here:

- **Nested loops** (exponential): a loop inside a repeated group, where the text after the
  inner loop could also start another round of it, as in `(?:a|'(?:[^']|'')*')*`: a run of
  `''` reads as quotes or as strings in 2^n ways when the match then fails.
- **Adjacent loops** (quadratic): two loops in a row, only optional items between them,
  that can both take the same characters, as in `[^\\n]*?[ \\t]*$`.

A possessive loop (`*+`, `++`, `{m,n}+`) or an atomic group (`(?>…)`) never gives text
back, so loops under one are not ambiguous. A loop at the end of the pattern is harmless:
once it ends, the match has succeeded. Loops of at most `BOUND` rounds cost a constant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# Loops of at most this many rounds are a bounded cost however they backtrack.
BOUND = 16
# Characters a class is tested against: enough to tell any two classes of a pattern apart.
_SAMPLE = (*(chr(i) for i in range(256)), "é", "ß", "中", "\u2028", "\uff10", "\U0001f600")
_ALL = frozenset(_SAMPLE)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)
_CATEGORY_SRC = {
    sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s", sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W",
}

Item = tuple[Any, Any]


def problems(pattern: str, flags: int = 0) -> list[str]:
    """Why `pattern` can take superlinear time, one line per shape found (empty: none)."""
    tree = sre_parse.parse(pattern, flags)
    found: list[str] = []
    _walk(list(tree), [], tree.state.flags, tail_trivial=True, found=found)
    return list(dict.fromkeys(found))


def _walk(seq: Sequence[Item], cont: list[Item], flags: int, tail_trivial: bool,
          found: list[str]) -> None:
    """`cont`: the items after `seq` in the groups around it (its continuation)."""
    for i, (op, av) in enumerate(seq):
        rest = [*seq[i + 1 :], *cont]
        trivial = tail_trivial and all(_trivially_nullable(it) for it in seq[i + 1 :])
        if op in _REPEATS:
            _lo, hi, body = av
            if hi > BOUND and not trivial:
                found.extend(_nested(list(body), flags))
                found.extend(_adjacent(av, rest, flags))
            _walk(list(body), [], flags, tail_trivial=False, found=found)
        elif op is sre.POSSESSIVE_REPEAT:
            _walk(list(av[2]), [], flags, tail_trivial=False, found=found)
        elif op is sre.SUBPATTERN:
            _walk(list(av[3]), rest, _flags(flags, av), trivial, found)
        elif op is sre.ATOMIC_GROUP:
            _walk(list(av), [], flags, tail_trivial=False, found=found)
        elif op is sre.BRANCH:
            for alt in av[1]:
                _walk(list(alt), rest, flags, trivial, found)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _walk(list(av[1]), [], flags, tail_trivial=False, found=found)


def _nested(body: list[Item], flags: int) -> Iterator[str]:
    """Inner loops of a repeated body whose end is not fixed by what follows them."""
    body_first, _ = _first(tuple(body), flags)
    for loop, follow in _inner_loops(body, flags, body_first):
        inner_first, _ = _first(tuple(loop[2]), flags)
        shared = inner_first & follow
        if shared:
            yield (f"nested loops: an inner loop can stop before or run on over "
                   f"{_show(shared)}, and the outer loop can start again there "
                   "(make the inner loop possessive, e.g. *+, or bound it)")


def _inner_loops(
    seq: list[Item], flags: int, after: frozenset[str]
) -> Iterator[tuple[Any, frozenset[str]]]:
    """(repeat av, first characters that can follow it) for every non-possessive loop of
    more than BOUND rounds in `seq` that is not under a possessive loop or atomic group;
    `after` is what can follow the whole sequence."""
    for i, (op, av) in enumerate(seq):
        follow, nullable = _first(tuple(seq[i + 1 :]), flags)
        if nullable:
            follow = follow | after
        if op in _REPEATS:
            if av[1] > 1:
                yield av, follow
            body_first, _ = _first(tuple(av[2]), flags)
            yield from _inner_loops(list(av[2]), flags, follow | body_first)
        elif op is sre.SUBPATTERN:
            yield from _inner_loops(list(av[3]), _flags(flags, av), follow)
        elif op is sre.BRANCH:
            for alt in av[1]:
                yield from _inner_loops(list(alt), flags, follow)


def _adjacent(loop: Any, rest: Sequence[Item], flags: int) -> Iterator[str]:
    """A later loop, past only optional items, that can take what this one takes."""
    mine, _ = _first(tuple(loop[2]), flags)
    for op, av in rest:
        if op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
            theirs, _ = _first(tuple(av[2]), flags)
            if av[1] > BOUND and mine & theirs:
                yield (f"adjacent loops: two loops in a row can both take "
                       f"{_show(mine & theirs)} (make the first possessive, or bound one)")
                return
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        if not _first(((op, av),), flags)[1]:
            return


def _trivially_nullable(item: Item) -> bool:
    """Matches the empty string and can never fail (no assertion inside)."""
    op, av = item
    if op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
        return av[0] == 0 or all(_trivially_nullable(it) for it in av[2])
    if op is sre.SUBPATTERN:
        return all(_trivially_nullable(it) for it in av[3])
    if op is sre.BRANCH:
        return any(all(_trivially_nullable(it) for it in alt) for alt in av[1])
    return False


def _first(seq: tuple[Item, ...], flags: int) -> tuple[frozenset[str], bool]:
    """Characters a match of `seq` can start with, and whether it can match empty."""
    out: set[str] = set()
    for op, av in seq:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            out |= _chars(op, av, flags)
            return frozenset(out), False
        if op is sre.SUBPATTERN:
            f, nullable = _first(tuple(av[3]), _flags(flags, av))
        elif op is sre.ATOMIC_GROUP:
            f, nullable = _first(tuple(av), flags)
        elif op is sre.BRANCH:
            parts = [_first(tuple(alt), flags) for alt in av[1]]
            f = frozenset().union(*(p[0] for p in parts))
            nullable = any(p[1] for p in parts)
        elif op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
            f, nullable = _first(tuple(av[2]), flags)
            nullable = nullable or av[0] == 0
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        else:  # a back reference: anything
            return _ALL, True
        out |= f
        if not nullable:
            return frozenset(out), False
    return frozenset(out), True


def _flags(flags: int, sub: Any) -> int:
    _group, add, remove, _p = sub
    return int((flags | add) & ~remove)


def _chars(op: Any, av: Any, flags: int) -> frozenset[str]:
    if op is sre.LITERAL:
        src = re.escape(chr(av))
    elif op is sre.NOT_LITERAL:
        src = "[^" + re.escape(chr(av)) + "]"
    elif op is sre.ANY:
        src = "."
    else:
        src = "[" + "".join(_class_src(o, a) for o, a in av) + "]"
    return _matching(src, flags & (re.IGNORECASE | re.DOTALL | re.ASCII))


def _class_src(op: Any, av: Any) -> str:
    if op is sre.NEGATE:
        return "^"
    if op is sre.LITERAL:
        return re.escape(chr(av))
    if op is sre.RANGE:
        return re.escape(chr(av[0])) + "-" + re.escape(chr(av[1]))
    if op is sre.CATEGORY:
        return _CATEGORY_SRC.get(av, r"\s")
    return ""


@lru_cache(maxsize=4096)
def _matching(src: str, flags: int) -> frozenset[str]:
    rx = re.compile(src, flags)
    return frozenset(c for c in _SAMPLE if rx.fullmatch(c))


def _show(chars: frozenset[str]) -> str:
    shown = sorted(chars)[:6]
    more = "…" if len(chars) > 6 else ""
    return "".join(repr(c)[1:-1] for c in shown) + more


def ambiguous_alternatives(pattern: str, flags: int = 0) -> list[str]:
    """Repeated groups whose alternatives can take the same next character, as in `(a|aa)+`
    or `(b|b)+`: a failing match tries every way to split a run between them, 2^n ways.

    Stricter than `problems` (a factored-out prefix such as `(?:ab|ac)` is no alternation
    to `re`), for patterns a user writes into a config rather than the shipped signatures.
    """
    tree = sre_parse.parse(pattern, flags)
    found: list[str] = []
    _walk_loops(list(tree), tree.state.flags, found)
    return list(dict.fromkeys(found))


def _walk_loops(seq: Sequence[Item], flags: int, found: list[str]) -> None:
    for op, av in seq:
        if op in _REPEATS:
            _lo, hi, body = av
            restart, _ = _first(tuple(body), flags)
            if hi > BOUND and _ambiguous(list(body), restart, flags):
                found.append("alternatives of a repeated group can take the same character "
                             "(make them distinct, or the loop possessive)")
            _walk_loops(list(body), flags, found)
        elif op is sre.POSSESSIVE_REPEAT:
            _walk_loops(list(av[2]), flags, found)
        elif op is sre.SUBPATTERN:
            _walk_loops(list(av[3]), _flags(flags, av), found)
        elif op is sre.ATOMIC_GROUP:
            _walk_loops(list(av), flags, found)
        elif op is sre.BRANCH:
            for alt in av[1]:
                _walk_loops(list(alt), flags, found)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _walk_loops(list(av[1]), flags, found)


def _ambiguous(seq: list[Item], follow: frozenset[str], flags: int) -> bool:
    """Whether an alternation in `seq` (one round of a loop; `follow`: what the next round
    starts with) has two alternatives that can start on the same character, an empty one
    counting as what comes after it."""
    for i, (op, av) in enumerate(seq):
        rest_first, rest_nullable = _first(tuple(seq[i + 1:]), flags)
        after = rest_first | follow if rest_nullable else rest_first
        if op is sre.SUBPATTERN:
            if _ambiguous(list(av[3]), after, _flags(flags, av)):
                return True
        elif op is sre.BRANCH:
            starts = []
            for alt in av[1]:
                first, nullable = _first(tuple(alt), flags)
                starts.append(first | after if nullable else first)
            if any(a & b for n, a in enumerate(starts) for b in starts[n + 1:]):
                return True
    return False
