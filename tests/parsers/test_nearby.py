"""Value unquoting and sibling lookup for window-based forms."""

from __future__ import annotations

import re

import pytest

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import nearby


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('"a\\"b\\u0026c"', 'a"b&c'),
        ("'it''s'", "it's"),
        ("'it\\'s'", "it's"),
        ("bare # comment", "bare"),
        ("bare,", "bare"),
        ("${PW:-dflt}", "dflt"),
        ("${db.password:spring-default}", "spring-default"),
        ("${PW}", "${PW}"),
        ("${PW:?error}", "${PW:?error}"),
    ],
)
def test_scalar(raw: str, value: str) -> None:
    assert nearby.scalar(raw) == value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("'a b'rest", "a brest"),
        ('"a\\"b\\$c\\x"', 'a"b$c\\x'),
        ("a\\ b c", "a b"),
        ("$'tab\\there'", "tab\there"),
        ('"$(vault read x)"', "$(vault read x)"),
        ("x;y", "x"),
        ('"${PGPASSWORD:-Fallback}"', "Fallback"),
    ],
)
def test_shell_word(raw: str, value: str) -> None:
    assert nearby.shell_word(raw) == value


ENV = re.compile(r"PGPASSWORD(?P<sep>=)(?P<password>\S+)")


def test_env_reads_psql_options_and_pg_vars() -> None:
    text = "export PGUSER=ops\nPGPASSWORD=pw psql --host=h1 -p 5433 -d prod\n"
    m = ENV.search(text)
    assert m is not None
    assert nearby.parse_env(m, {}) == ParsedCredential(
        password="pw", user="ops", hosts=("h1",), ports=("5433",), database="prod"
    )


def test_nearby_block_and_context() -> None:
    text = (
        'resource "a" "x" {\n  engine = "postgres"\n  username = "u1"\n}\n'
        'resource "a" "y" {\n  engine = "mysql"\n  password = "p2"\n}\n'
    )
    m = re.search(r'password = (?P<password>"[^"]*")', text)
    assert m is not None
    opts = {"block": r"(?m)^resource\b", "context": "postgres"}
    assert nearby.parse_match(m, opts) is None
    assert nearby.parse_match(m, {"block": r"(?m)^resource\b"}) == ParsedCredential(password="p2")


def test_shell_word_stops_at_a_code_newline_escape() -> None:
    assert nearby.shell_word('changeme\\n"') == "changeme"
    assert nearby.shell_word('"x\\ny"') == "x\\ny"
