"""The static check that refuses regexes whose backtracking grows faster than the input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import make_password, run_cli

from pgsweep.detectors import backtracking, signatures

SLOW = {
    # pg.sql.1 as it was: `''` is a quote inside a string or the end of one and the start
    # of the next, 2^n readings of n pairs
    r"""(?:[^;'"]|'(?:[^']|'')*')*?\bPASSWORD\s+'x'""": "nested loops",
    r"(a+)+b": "nested loops",
    r"(\w+\s?)*$": "nested loops",
    # pg.jdbc.2 as it was: a lazy value, then trailing blanks, before the line end
    r"password=(?P<password>\S[^\n]*?)[ \t]*$": "adjacent loops",
    # the Secret test of the decoders as it was
    r"""(?m)^\s*["']?kind["']?\s*:\s*["']?Secret["']?\s*,?\s*$""": "adjacent loops",
}
FAST = [
    r"""(?:[^;'"]|'(?:[^']|''){0,1000}+'){0,2000}?\bPASSWORD\s++'x'""",
    r"(a*b)*c",
    r"(?:a++)+b",
    r"password=(?P<password>\S(?:[ \t]*+[^ \t\n])*+)[ \t]*$",
    r"""'(?:[^'\\\n]|\\.)*'""",
    r"(?:[ \t]+key=(?:'(?:[^'\\]|\\.)*'|\S+))*",  # each inner loop's end is forced
    r"postgres://[^\s]+",  # a loop at the end: nothing after it can fail
    r"(?:ab{1,5}){0,16}c",  # loops of at most BOUND rounds
]


@pytest.mark.parametrize("pattern", sorted(SLOW))
def test_slow_shapes_are_found(pattern: str) -> None:
    found = backtracking.problems(pattern)
    assert len(found) == 1
    assert found[0].startswith(SLOW[pattern] + ":")


@pytest.mark.parametrize("pattern", FAST)
def test_linear_shapes_pass(pattern: str) -> None:
    assert backtracking.problems(pattern) == []


def test_every_shipped_pattern_passes() -> None:
    for sig in signatures.load():
        assert backtracking.problems(sig.regex.pattern, sig.regex.flags) == [], sig.id
        for option in ("block", "context", "window_context"):
            if sig.fields.get(option):
                assert backtracking.problems(sig.fields[option]) == [], (sig.id, option)


def test_signatures_check_refuses_a_catastrophic_pattern(tmp_path: Path) -> None:
    mine = {
        "id": "pg.mine.1",
        "name": "mine",
        "description": "a role statement",
        "keywords": ["password '"],
        "pattern": r"(?i)ROLE\s+(?P<user>\w++)(?:[^;']|'(?:[^']|'')*')*?"
                   r"\bPASSWORD\s+'(?P<password>[^']+)'",
        "fields": {"password": "password", "user": "user"},
        "severity": "high",
        "examples": [f"CREATE ROLE app PASSWORD '{make_password()}';"],
        "negative_examples": ["CREATE ROLE app;"],
    }
    (tmp_path / "pg_mine.yml").write_text(yaml.safe_dump(mine), encoding="utf-8")
    result = run_cli("signatures", "check", str(tmp_path))
    assert result.returncode == 2
    assert "pg_mine.yml: pattern can take superlinear time: nested loops:" in result.stderr
    assert "Traceback" not in result.stderr


def test_rewritten_pattern_is_accepted(tmp_path: Path) -> None:
    """The same form with a possessive inner loop passes, and still matches."""
    pattern = (r"(?i)ROLE\s+(?P<user>\w++)(?:[^;']|'(?:[^']|''){0,1000}+')*?"
               r"\bPASSWORD\s+'(?P<password>[^']+)'")
    assert backtracking.problems(pattern) == []
    password = make_password()
    m = re.search(pattern, f"CREATE ROLE app PASSWORD '{password}';")
    assert m is not None
    assert m.group("user", "password") == ("app", password)
