"""Key/value conninfo parsing: exact libpq quoting, round trips, and real libpq agreement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_password, scan_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from libpq_ctypes import LibpqError, conninfo_parse, libpq_present  # noqa: F401 -- a fixture

from pgsweep.assess.risk_factors import sslmode_of as risk_sslmode
from pgsweep.core.models import (
    CredentialId,
    FileProvenance,
    Finding,
    FindingId,
    ParsedCredential,
    RuleId,
    SecretKind,
    Severity,
)
from pgsweep.parsers import dsn, uri
from pgsweep.parsers.interface import ParseError
from pgsweep.parsers.sslmode import sslmode_of as verify_sslmode


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


def test_guc_escapes() -> None:
    """GUC_scanstr: at most three octal digits, the C escapes, `''`; a line ends the value."""
    text = "x = '\\1014\\n\\q it''s' # c\n"
    assert dsn.guc_unescape(text, 5) == "A4\nq it's"
    assert dsn.guc_unescape("'abc\ndef'", 1) == "abc"


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


needs_libpq = pytest.mark.usefixtures("libpq_present")


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


REPEATED = [
    "host=first.corp.net password=first user=a dbname=d1 port=1 "  # pgsweep:ignore
    "sslmode=disable password=second host=second.corp.net "  # pgsweep:ignore
    "user=b dbname=d2 port=2 sslmode=verify-full",
    "postgresql://a:first@first.corp.net:1/d1?password=second&user=b"  # pgsweep:ignore
    "&host=second.corp.net&port=2&dbname=d2&sslmode=disable&sslmode=verify-full",
]


@pytest.mark.parametrize("text", REPEATED)
def test_a_repeated_keyword_takes_its_last_value_as_in_libpq(text: str) -> None:
    """libpq stores each keyword as it reads it, so the last one wins: a connection string
    that names two passwords logs in with the second one, and that is the one leaked."""
    parsed = uri.parse(text) if text.startswith("postgresql:") else dsn.parse(text)
    assert (parsed.password, parsed.user, parsed.hosts, parsed.ports, parsed.database) == (
        "second", "b", ("second.corp.net",), ("2",), "d2")
    libpq = conninfo_parse(text)
    assert (libpq["password"], libpq["user"], libpq["host"], libpq["port"], libpq["dbname"],
            libpq["sslmode"]) == ("second", "b", "second.corp.net", "2", "d2", "verify-full")
    assert verify_sslmode(parsed.params) == "verify-full"
    assert risk_sslmode(_finding_with(parsed.params)) == "verify-full"


def _finding_with(params: tuple[tuple[str, str], ...]) -> Finding:
    return Finding(id=FindingId("f"), rule=RuleId("pg.dsn.1"), kind=SecretKind.PASSWORD,
                   provenance=FileProvenance(path="x"), line=1, secret="", fingerprint="",
                   user=None, hosts=(), ports=(), database=None, params=params,
                   severity=Severity.LOW, credential=CredentialId("c"))


def test_a_scan_reports_the_last_password_of_a_connection_string(tmp_path: Path) -> None:
    first, second = make_password(), make_password()
    result = scan_tree(tmp_path / "p", {"run.sh": (
        f"psql \"host=db.corp.net user=app password={first} dbname=app password={second}\"\n")})
    assert [(f.provenance.path, f.line, f.user, f.hosts, f.secret)
            for f in result.findings] == [
        (str(tmp_path / "p" / "run.sh"), 1, "app", ("db.corp.net",), second)]
