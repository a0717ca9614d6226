"""Property: every signature's regex (and its parser options) finishes on inputs pumped
from its own pieces, four times the largest window the detector ever hands a regex.

A superlinear pattern shows up here as a run that does not end (the hang alarm fails the
test); nothing here measures speed. The static side of the same guarantee is
tests/test_backtracking.py.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest
from hang import no_hang
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgsweep.core.models import RuleId
from pgsweep.detectors import signatures
from pgsweep.detectors.engine import MAX_WINDOW

# handed forms match no text (their readers hand credentials over as fields)
SIGNATURES = {s.id: s for s in signatures.load() if not s.handed}


def pieces(pattern: str) -> list[str]:
    """Literal runs and one character of each class in the pattern: the text a match is
    made of, to repeat."""
    out: set[str] = {" ", "\t", "\n", "a", "0", "'", '"', "''", ",", ";", "="}

    def walk(seq: Any) -> None:
        run: list[str] = []
        for op, av in seq:
            if op is sre.LITERAL:
                run.append(chr(av))
                continue
            if run:
                out.add("".join(run))
                run = []
            if op is sre.IN:
                out.update(chr(a) if o is sre.LITERAL else chr(a[0])
                           for o, a in av if o in (sre.LITERAL, sre.RANGE))
            for sub in _subpatterns(op, av):
                walk(sub)
        if run:
            out.add("".join(run))

    walk(sre_parse.parse(pattern))
    return sorted(out)


def _subpatterns(op: Any, av: Any) -> list[Any]:
    """The sequences nested in one parsed regex node (a group, a repeat, a branch...)."""
    if op is sre.SUBPATTERN:
        return [av[3]]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        return [av[2]]
    if op is sre.BRANCH:
        return list(av[1])
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [av[1]]
    if op is sre.ATOMIC_GROUP:
        return [av]
    return []


def regexes(sig: signatures.Signature) -> list[re.Pattern[str]]:
    out = [sig.regex]
    for option in ("block", "context", "window_context"):
        if sig.fields.get(option):
            out.append(re.compile(sig.fields[option]))
    return out


# Four windows: a linear regex needs milliseconds here, a quadratic one many minutes.
SIZE = 4 * MAX_WINDOW


def cuts(text: str, units: list[str]) -> list[int]:
    """Where a pumped run may begin: the start, the end, after each blank or punctuation
    mark, and right after each piece."""
    out = {0, len(text)} | {i + 1 for i, c in enumerate(text) if not c.isalnum()}
    for unit in units:
        start = text.find(unit)
        while start >= 0 and len(out) < 200:
            out.add(start + len(unit))
            start = text.find(unit, start + 1)
    return sorted(out)


@st.composite
def pumped(draw: st.DrawFn, sig: signatures.Signature) -> str:
    """An example's start, then one or two of the pattern's pieces repeated far beyond a
    window, then an ending that may make the match fail late."""
    texts = [e.text for e in (*sig.examples, *sig.negative_examples)]
    text = draw(st.sampled_from(texts))
    units = pieces(sig.regex.pattern)
    cut = draw(st.sampled_from(cuts(text, units)))
    unit = draw(st.sampled_from(units)) + draw(st.sampled_from(["", *units]))
    end = draw(st.sampled_from(["", "\x00", "!", "\n", text[cut:]]))
    return text[:cut] + unit * (SIZE // len(unit)) + end


@pytest.mark.parametrize("sid", sorted(SIGNATURES))
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_signature_finishes_on_pumped_input(sid: str, data: st.DataObject) -> None:
    sig = SIGNATURES[RuleId(sid)]
    text = data.draw(pumped(sig))
    for rx in regexes(sig):
        with no_hang(f"{sid} on {text[:40]!r}…", seconds=20):
            for _ in rx.finditer(text):
                pass
