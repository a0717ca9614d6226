"""A scanned folder's own pgsweep.toml is input too: an allowlist regex that can backtrack
without end is refused with one line before the scan, never run on a long password."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_password, run_cli_here
from gitrepo import uri
from hang import no_hang

from pgsweep.detectors.backtracking import ambiguous_alternatives

CASES = {
    "nested": ("values", "(a+)+$", "nested loops: an inner loop can stop before or run on "
               "over a, and the outer loop can start again there (make the inner loop "
               "possessive, e.g. *+, or bound it)"),
    "same-alternatives": ("host_patterns", "(b|b)+$", "alternatives of a repeated group can "
                          "take the same character (make them distinct, or the loop "
                          "possessive)"),
    "overlapping-alternatives": ("values", "^(a|aa)+$", "alternatives of a repeated group "
                                 "can take the same character (make them distinct, or the "
                                 "loop possessive)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_runaway_allowlist_regex_is_refused(tmp_path: Path, case: str) -> None:
    key, pattern, why = CASES[case]
    (tmp_path / "pgsweep.toml").write_text(f"[allowlist]\n{key} = ['{pattern}']\n")
    # what the pattern would take exponential time on: a long run, then a mismatch
    (tmp_path / "app.env").write_text(
        "DATABASE_URL=" + uri("app", "a" * 40 + "1", host="b" * 40 + "c.corp.net") + "\n")
    with no_hang(f"allowlist regex {pattern}"):
        res = run_cli_here("scan", str(tmp_path), "--no-store", "-f", "json")
    assert res.returncode == 2
    assert res.stderr == (f"pgsweep: error: {tmp_path}: config allowlist.{key}[0]: regex can "
                          f"take superlinear time ({why})\n")


def test_ordinary_allowlist_regexes_are_kept(tmp_path: Path) -> None:
    pw = make_password()
    (tmp_path / "pgsweep.toml").write_text(
        "[allowlist]\nvalues = ['^test-[a-z]+$', '(?:ab|ac)+']\n"
        "host_patterns = ['(?:[a-z0-9-]+\\.)+corp\\.net$', 'db-(prod|staging)$']\n")
    (tmp_path / "app.env").write_text(f"DATABASE_URL={uri('app', pw, host='db.example.org')}\n")
    res = run_cli_here("scan", str(tmp_path), "--no-store", "-f", "json")
    assert res.returncode == 1, res.stderr


@pytest.mark.parametrize(("pattern", "ambiguous"), [
    ("(x|xy)*z", False), ("(foo|bar)+", False), (r"(\w|-)+", False),
    (r"(\d+|\w+)+", True), ("(a|b|)+c", True),
])
def test_ambiguous_alternatives(pattern: str, ambiguous: bool) -> None:
    assert bool(ambiguous_alternatives(pattern)) is ambiguous
