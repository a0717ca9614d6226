"""The literals a regex cannot match without, and the windows they let a signature skip."""

from __future__ import annotations

import re

import pytest
from corpuscases import load

from pgsweep.detectors import signatures
from pgsweep.detectors.match_gate import is_open, required_literals


@pytest.mark.parametrize("pattern, literals", [
    (r"password\s*=\s*(\S+)", (b"password",)),
    (r"(?i)PassWord=(\S+)", (b"password=",)),
    (r"(?:password|passwd)[:=](\S+)", (b"passw",)),  # re shares the branches' prefix
    (r"user=\w+ (?:password=(\S+)|pwd=(\S+))", (b"user=",)),  # the longer of two choices
    (r"(?:pgpass)?word=(\S+)", (b"word=",)),  # an optional group requires nothing
    (r"(?:secret){1,3}:(\S+)", (b"secret",)),  # a repeat taken at least once
    (r"(?=.*postgres)key=(\S+)", (b"postgres",)),  # a lookahead's text is in the window
    (r"pw=(\S+)|password=(\S+)", ()),  # a branch with no literal of 3 characters
    (r"[pP]assword=(\S+)", (b"assword=",)),  # a class breaks the run
    (r"(?!postgres)\w+=(\S+)", ()),  # a negative lookahead requires nothing
    (r"\bhost\b", (b"host",)),
])
def test_required_literals(pattern: str, literals: tuple[bytes, ...]) -> None:
    assert required_literals(pattern) == literals


def test_a_window_without_the_literals_is_closed_and_other_text_stays_open() -> None:
    gate = (b"password",)
    assert is_open(gate, b"db:\n  PASSWORD: x\n")  # compared in lower case
    assert not is_open(gate, b"* [bitnami/postgresql] Release 16.2.1\n")
    assert is_open((), b"anything")
    # Unicode case folding matches U+017F (long s) to s under re.IGNORECASE: text that is
    # not ASCII is always searched
    text = "pa\u017f\u017fword=x"
    assert re.search(r"(?i)password=", text)
    assert is_open(gate, text.encode("utf-8"))


def _texts(sig: signatures.Signature) -> list[str]:
    return [e.text for e in (*sig.examples, *sig.negative_examples)]


CORPUS = [c.text for c in load()]


@pytest.mark.parametrize("sig", [s for s in signatures.load() if s.gate],
                         ids=lambda s: str(s.id))
def test_every_match_holds_a_literal_of_the_gate(sig: signatures.Signature) -> None:
    """Over the signature's examples and the whole corpus, no match the regex finds lies
    in a window the gate would close."""
    matched = 0
    for text in [*_texts(sig), *CORPUS]:
        for m in sig.regex.finditer(text):
            matched += 1
            assert is_open(sig.gate, m.group(0).encode("utf-8", "surrogateescape")), (
                sig.id, m.group(0)[:80])
    assert matched
