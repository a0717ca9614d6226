"""Verifier files users pass to `verify`: a hostile line costs linear time, the rows around it
are still read."""

from __future__ import annotations

from hang import no_hang

from pgsweep.verify.offline import RoleVerifier, iter_role_verifiers

ROWS = "alice|md5" + "0" * 32 + "\nbob,SCRAM-SHA-256$4096:c2FsdA==$a:b\n"


def test_a_long_blank_run_between_words_is_no_row() -> None:
    hostile = "a" + " " * 3000 + "x\n" + "a|" + " " * 3000 + "x\n" + " " * 800 + "a" + " " * 200
    with no_hang("verifier rows"):
        found = list(iter_role_verifiers(hostile + "\n" + ROWS))
    assert found == [
        RoleVerifier("alice", "md5" + "0" * 32),
        RoleVerifier("bob", "SCRAM-SHA-256$4096:c2FsdA==$a:b"),
    ]


def test_psql_aligned_and_space_separated_rows_still_read() -> None:
    text = (" rolname |            rolpassword\n---------+-----------\n"
            " carol   | md5" + "1" * 32 + "\n dan     | \n")
    assert list(iter_role_verifiers(text)) == [
        RoleVerifier("carol", "md5" + "1" * 32),
        RoleVerifier("dan", None),
    ]
