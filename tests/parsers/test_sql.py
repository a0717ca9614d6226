"""SQL literal and role-statement parsing."""

from __future__ import annotations

import re

import pytest

from pgsweep.core.models import ParsedCredential, SecretKind
from pgsweep.parsers import sql

ROLE = re.compile(
    r"""(?i)\b(?:CREATE|ALTER)\s+(?:ROLE|USER)\s+(?P<role>"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:[^;'"]|'(?:[^']|'')*')*?\bPASSWORD\s+(?P<literal>[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*')"""
)


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'plain'", "plain"),
        ("'it''s'", "it's"),
        ("'back\\slash'", "back\\slash"),
        ("E'it\\'s'", "it's"),
        ("E'a\\\\b'", "a\\b"),
        ("E'tab\\there'", "tab\there"),
        ("E'\\x41\\101\\u00e9'", "AAé"),
        ("E'\\x414\\1014\\xg'", "A4A4xg"),  # at most two hex and three octal digits
        ("e'q''q'", "q'q"),
    ],
)
def test_unquote_literal(literal: str, value: str) -> None:
    assert sql.unquote_literal(literal) == value


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "CREATE ROLE App LOGIN PASSWORD 'x1';",  # pgsweep:ignore
            ParsedCredential(password="x1", user="app"),
        ),
        (
            'ALTER USER "Mixed ""Q""" WITH ENCRYPTED PASSWORD \'x2\';',
            ParsedCredential(password="x2", user='Mixed "Q"'),
        ),  # pgsweep:ignore
        (
            "ALTER ROLE bob PASSWORD 'md5a2cc14bcc08bcb211f578153967abd6d'",  # pgsweep:ignore
            ParsedCredential(
                password="md5a2cc14bcc08bcb211f578153967abd6d",
                user="bob",
                kind=SecretKind.PASSWORD_HASH,
            ),
        ),
        (
            "CREATE ROLE r VALID UNTIL 'infinity' PASSWORD 'x3'",  # pgsweep:ignore
            ParsedCredential(password="x3", user="r"),
        ),
    ],
)
def test_parse_role(statement: str, expected: ParsedCredential) -> None:
    m = ROLE.search(statement)
    assert m is not None
    assert sql.parse_role(m, {}) == expected


def test_password_null_does_not_match() -> None:
    assert ROLE.search("ALTER ROLE app PASSWORD NULL;") is None


def test_kind_of_scram_verifier() -> None:
    v = (
        "SCRAM-SHA-256$4096:mk+SEmGlN08KO13IN0rWQA==$HTugFBIkq+sf7I6Xfg2xpHzm3tIh+twrqSqr6335Ttw="
        ":fz2XG/oZFE9dmHv0Ev0oqFMgPEXZWwsG2m3D0EP1R8A="
    )
    assert sql.kind_of(v) is SecretKind.PASSWORD_HASH
    assert sql.kind_of("SCRAM-SHA-256-is-my-password") is SecretKind.PASSWORD
