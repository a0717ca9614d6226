"""Key/value conninfo parsing: exact libpq quoting, round trips, and real libpq agreement."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libpq_ctypes import LIBPQ, LibpqError, conninfo_parse

from pgsweep.models import ParsedCredential
from pgsweep.parsers import dsn
from pgsweep.parsers.interface import ParseError


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        (
            r"host=db.example.com port=5432 dbname=prod user=app "
            r"password='s3 cr\'et\\x' sslmode=require",  # pgsweep:ignore
            [
                ("host", "db.example.com"),
                ("port", "5432"),
                ("dbname", "prod"),
                ("user", "app"),
                ("password", "s3 cr'et\\x"),
                ("sslmode", "require"),
            ],
        ),
        (r"password=no\ space host=h", [("password", "no space"), ("host", "h")]),  # pgsweep:ignore
        (r"password=it\'s", [("password", "it's")]),
        ("password=a'b", [("password", "a'b")]),
        ("password='x'user=app", [("password", "x"), ("user", "app")]),  # pgsweep:ignore
        ("password=  host=h", [("password", "host=h")]),
        ("password = 'spaced'  host =h", [("password", "spaced"), ("host", "h")]),  # pgsweep:ignore
        ("password=''", [("password", "")]),
        ("\thost=h\n\tuser=u\r\n", [("host", "h"), ("user", "u")]),
    ],
)
def test_tokenize_exact(text: str, pairs: list[tuple[str, str]]) -> None:
    assert dsn.tokenize(text) == pairs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("password='it''s'", 'missing "=" after "\'s\'"'),
        ("password=two words", 'missing "=" after "words"'),
        ("password='open", "unterminated quoted string"),
        ("pasword=x", 'invalid connection option "pasword"'),
    ],
)
def test_tokenize_errors_like_libpq(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        dsn.tokenize(text)


def test_lenient_skips_unknown_words_and_stops_at_errors() -> None:
    assert dsn.tokenize("FOO=bar host=h password=p x", strict=False) == [  # pgsweep:ignore
        ("host", "h"),
        ("password", "p"),
    ]


def test_credential_from_pairs() -> None:
    cred = dsn.parse(
        "host=h1,h2 port=5432,5433 user=app password=pw dbname=prod sslmode=verify-full"
    )
    assert cred == ParsedCredential(
        password="pw",
        user="app",
        hosts=("h1", "h2"),
        ports=("5432", "5433"),
        database="prod",
        params=(("sslmode", "verify-full"),),
    )


def test_uri_in_dbname_fills_the_gaps() -> None:
    cred = dsn.parse("host=h dbname='postgresql://u:secret@h2/d' password=own")  # pgsweep:ignore
    assert (cred.password, cred.user, cred.hosts, cred.database) == ("own", "u", ("h",), "d")


def test_enclosing_code_quote_ends_the_dsn() -> None:
    text = 'connect("host=h user=u password=pw") + x'
    m = dsn.LOCATE.search(text)
    assert m is not None
    assert dsn.enclosed(text, m.start(), m.end()) == "host=h user=u password=pw"


def test_guc_string_is_unescaped_first() -> None:
    text = r"primary_conninfo = 'user=rep password=''a\\''b'' host=h'  # standby"  # pgsweep:ignore
    m = dsn.LOCATE.search(text)
    assert m is not None
    assert dsn.tokenize(dsn.enclosed(text, m.start(), m.end())) == [
        ("user", "rep"),
        ("password", "a'b"),
        ("host", "h"),
    ]


_value = st.text(
    st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("\t\n"), max_size=20
)
_keys = st.sampled_from(["host", "user", "password", "dbname", "port", "application_name"])


def _bare(value: str) -> str:
    """libpq bare-value escaping: backslash before whitespace and backslash; a leading quote."""
    out = "".join("\\" + c if c in " \t\n\\" else c for c in value)
    return "\\" + out if out.startswith("'") else out


@st.composite
def _conninfo(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    pairs = draw(st.lists(st.tuples(_keys, _value), min_size=1, max_size=5))
    parts = []
    for key, value in pairs:
        quoted = draw(st.booleans()) or value == ""
        parts.append(f"{key}={dsn.quote(value) if quoted else _bare(value)}")
    seps = draw(
        st.lists(st.sampled_from([" ", "  ", "\t", "\n"]), min_size=len(parts), max_size=len(parts))
    )
    text = "".join(s + p for s, p in zip(seps, parts, strict=True))
    return text, dict(pairs)


@given(_conninfo())
def test_round_trip(case: tuple[str, dict[str, str]]) -> None:
    text, expected = case
    assert dict(dsn.tokenize(text)) == expected


needs_libpq = pytest.mark.skipif(LIBPQ is None, reason="libpq.so.5 not available")


@needs_libpq
@given(_conninfo())
def test_generated_strings_agree_with_libpq(case: tuple[str, dict[str, str]]) -> None:
    text, _ = case
    assert dict(dsn.tokenize(text)) == conninfo_parse(text)


@needs_libpq
@settings(max_examples=300)
@given(
    st.lists(st.sampled_from([*"ab =' \\\t", "host", "password", "user"]), max_size=14).map("".join)
)
def test_arbitrary_text_agrees_with_libpq(text: str) -> None:
    if text.lstrip().startswith(("postgres://", "postgresql://")):
        return
    try:
        expected = conninfo_parse(text)
    except LibpqError:
        with pytest.raises(ParseError):
            dsn.tokenize(text)
        return
    assert dict(dsn.tokenize(text)) == expected
