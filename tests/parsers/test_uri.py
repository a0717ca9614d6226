"""libpq URI parsing: exact results, trimming, round trips, and real libpq agreement."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from libpq_ctypes import conninfo_parse, libpq_present  # noqa: F401 -- a fixture

from pgsweep.core.models import ParsedCredential
from pgsweep.detectors import signatures
from pgsweep.detectors.signatures import Signature
from pgsweep.parsers import uri
from pgsweep.parsers.interface import ParseError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "postgresql://app:p%40ss%3Aw%2Fd@db.example.com:5432/prod?sslmode=require",
            ParsedCredential(
                password="p@ss:w/d",
                user="app",
                hosts=("db.example.com",),
                ports=("5432",),
                database="prod",
                params=(("sslmode", "require"),),
            ),
        ),
        (
            "postgres://app:p@ss@db.example.com/prod",
            ParsedCredential(
                password="p", user="app", hosts=("ss@db.example.com",), ports=("",), database="prod"
            ),
        ),
        (
            "postgresql://u:p@[::1]:5432,[fe80::1%25eth0]:5433/db",  # pgsweep:ignore
            ParsedCredential(
                password="p",
                user="u",
                hosts=("::1", "fe80::1%eth0"),
                ports=("5432", "5433"),
                database="db",
            ),
        ),
        (
            "postgresql:///prod?host=/var/run/postgresql&user=app&password=s3cret&ssl=true",
            ParsedCredential(
                password="s3cret",
                user="app",
                hosts=("/var/run/postgresql",),
                database="prod",
                params=(("sslmode", "require"),),
            ),
        ),
        (
            # a query word without "=" is passed over; &amp; (HTML text) separates pairs
            "postgresql://app@db.example.com/prod?debug&amp;sslmode=verify-full&connect_timeout",
            ParsedCredential(
                user="app",
                hosts=("db.example.com",),
                ports=("",),
                database="prod",
                params=(("sslmode", "verify-full"),),
            ),
        ),
        (
            "postgresql+asyncpg://svc:x%2By@h/d",  # pgsweep:ignore
            ParsedCredential(password="x+y", user="svc", hosts=("h",), ports=("",), database="d"),
        ),
        (
            "postgres://app:Sup3r/Secret@db.example.com/prod",
            ParsedCredential(
                password="Sup3r/Secret",
                user="app",
                hosts=("db.example.com",),
                ports=("",),
                database="prod",
            ),
        ),
    ],
)
def test_parse_exact(text: str, expected: ParsedCredential) -> None:
    assert uri.parse(text) == expected


@pytest.mark.parametrize("bad", ["postgresql://u:50%off@h/d", "postgresql://u:a%00b@h/d"])
def test_malformed_percent_is_an_error(bad: str) -> None:
    with pytest.raises(ParseError):
        uri.parse(bad)


@pytest.mark.parametrize(
    ("candidate", "trimmed"),
    [
        ("postgres://u:p@h/db.", "postgres://u:p@h/db"),  # pgsweep:ignore
        ("postgres://u:p@h/db),", "postgres://u:p@h/db"),  # pgsweep:ignore
        ("postgres://u:p@[::1]", "postgres://u:p@[::1]"),
        ("postgres://u:p@[::1]]", "postgres://u:p@[::1]"),
        ("postgres://u:p@h/f(x)", "postgres://u:p@h/f(x)"),  # pgsweep:ignore
        ("postgres://u:p@h:5432,h2:", "postgres://u:p@h:5432,h2"),  # pgsweep:ignore
    ],
)
def test_trim(candidate: str, trimmed: str) -> None:
    assert uri.trim(candidate) == trimmed


_text = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=16)
_host = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9]{0,6}){0,2}", fullmatch=True)
_port = st.integers(1, 65535).map(str)


def _build(user: str, password: str, host: str, port: str, db: str) -> str:
    def enc(s: str) -> str:
        return quote(s, safe="")  # percent-encode everything reserved

    return f"postgresql://{enc(user)}:{enc(password)}@{host}:{port}/{enc(db)}"


@given(_text, _text, _host, _port, _text)
def test_round_trip(user: str, password: str, host: str, port: str, db: str) -> None:
    cred = uri.parse(_build(user, password, host, port, db))
    assert (cred.user, cred.password, cred.hosts, cred.ports, cred.database) == (
        user,
        password,
        (host,),
        (port,),
        db,
    )


@pytest.mark.usefixtures("libpq_present")
@given(_text, _text, _host, _port, _text)
def test_agrees_with_libpq(user: str, password: str, host: str, port: str, db: str) -> None:
    text = _build(user, password, host, port, db)
    got = uri.parse(text)
    want = conninfo_parse(text)
    assert (got.user, got.password, ",".join(got.hosts), ",".join(got.ports), got.database) == (
        want["user"],
        want["password"],
        want["host"],
        want["port"],
        want["dbname"],
    )


@pytest.mark.usefixtures("libpq_present")
@given(
    st.lists(
        st.sampled_from([*"ab:@%2F5,/?=&[]", "password=", "user=", "%40"]), max_size=12
    ).map("".join)
)
def test_arbitrary_authority_agrees_with_libpq_where_it_parses(tail: str) -> None:
    """Where libpq accepts a URI, we read the same user, password, hosts, ports and
    database; the one deliberate difference is a raw '/' inside the password (we report what
    URL libraries and SQLAlchemy send). Hosts and ports follow libpq's loop exactly, garbage
    such as `:[,` and `[[],` included."""
    text = "postgresql://" + tail
    try:
        want = conninfo_parse(text)
    except ValueError:
        return
    head = tail.split("?", 1)[0]
    if "@" in head and "/" in head.split("@", 1)[0]:
        return
    try:
        got = uri.parse(text)
    except ParseError:
        pytest.fail(f"libpq accepts {text!r} but we refuse it")
    # an empty value and no value are the same credential
    assert (got.password or None) == (want.get("password") or None)
    assert (got.user or None) == (want.get("user") or None)
    assert (got.database or None) == (want.get("dbname") or None)
    assert (",".join(got.hosts) or None) == (want.get("host") or None)
    assert (",".join(got.ports) or None) == (want.get("port") or None)


@pytest.mark.parametrize(
    ("tail", "hosts", "ports"),
    [
        (":[,", ("", ""), ("[", "")),
        ("[[],", ("[", ""), ("", "")),
        ("2[,", ("2[", ""), ("", "")),
        ("[?]", ("?",), ("",)),
        ("55[,[%40%40/user==/]", ("55[", "@@/user==/"), ("", "")),
    ],
)
def test_garbage_authority_like_libpq(
    tail: str, hosts: tuple[str, ...], ports: tuple[str, ...]
) -> None:
    got = uri.parse("postgresql://" + tail)
    assert (got.hosts, got.ports, got.database) == (hosts, ports, None)


def test_libpq_error_fragments() -> None:
    import re

    from pgsweep.core.models import SecretKind

    pattern = re.compile(r'could not translate host name "(?P<host>[^"\n]{0,200}@[^"@\n]{1,255})"')
    m = pattern.search('could not translate host name "ss@127.0.0.1" to address')
    assert m is not None
    cred = uri.parse_error_fragment(m, {})
    assert cred == ParsedCredential(
        password="ss", hosts=("127.0.0.1",), kind=SecretKind.PARTIAL_PASSWORD
    )


# Every printable ASCII character and UTF-8 text, as a password written raw in a URI.
_RAW_PASSWORD = st.text(
    st.one_of(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="@/%"),
        st.characters(min_codepoint=0xA0, max_codepoint=0x10FFFF,
                      exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
    ),
    min_size=1, max_size=16,
)


@functools.cache
def _uri_signature() -> Signature:
    (sig,) = [s for s in signatures.load() if s.id == "pg.uri.1"]
    return sig


def _uri_signature_match(text: str) -> re.Match[str] | None:
    return _uri_signature().regex.search(text)


@pytest.mark.usefixtures("libpq_present")
@given(_RAW_PASSWORD)
def test_raw_password_of_any_printable_or_utf8_character_agrees_with_libpq(pw: str) -> None:
    """libpq reads every byte of the userinfo up to '@' raw; so do we, and the signature's
    match runs over it wherever the text does not end the URI (a quote, a backtick,
    whitespace, `|`, `\\` or `^`)."""
    text = f"postgresql://app:{pw}@db.corp.net:5432/app"
    want = conninfo_parse(text)
    got = uri.parse(text)
    assert (got.user, got.password, got.hosts, got.database) == (
        want["user"], want["password"], (want["host"],), want["dbname"])
    if not set(pw) & set("\"'`|\\^"):
        m = _uri_signature_match(f"DATABASE_URL={text}\n")
        assert m is not None
        assert uri.parse_match(m, {}) == got


@pytest.mark.usefixtures("libpq_present")
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E,
                             exclude_characters="&%=\"'"), min_size=1, max_size=24))
def test_quoted_query_password_runs_to_the_closing_quote_as_libpq_reads_it(pw: str) -> None:
    """libpq keeps spaces (and `\\`, `|`, `^`) in a query value; a URI that opens a quoted
    string is read to its closing quote. (A second `=` makes libpq refuse the URI.)"""
    assume(not pw.endswith("\\"))  # `\\"` would escape the closing quote
    text = f"postgresql://db.corp.net/app?user=app&password={pw}"
    want = conninfo_parse(text)
    m = _uri_signature_match(f'psql "{text}" -c "select 1"\n')
    assert m is not None
    got = uri.parse_match(m, {})
    assert got is not None
    assert got.password == want.get("password")


@pytest.mark.parametrize(
    ("text", "user", "password", "hosts", "database"),
    [
        ("pg://my f%irst name:is&%awesome!7@localhost:9000", "my f%irst name", "is&%awesome!7",
         ("localhost",), None),
        ("pg://bi%25na%25%25ry%20:s%40f%23@localhost/%20u%2520rl", "bi%na%%ry ", "s@f#",
         ("localhost",), " u%20rl"),
        ("pg://user:pass@/dbname?host=/unix/socket", "user", "pass", ("/unix/socket",), "dbname"),
        ("socket://brian:pw@/const/run/?db=mydb", "brian", "pw", ("/const/run/",), "mydb"),
        ("socket:/some%20path/?db=my%2Bdb&encoding=utf8", None, None, ("/some path/",), "my+db"),
    ],
)
def test_node_postgres_urls_as_pg_connection_string_reads_them(
    text: str, user: str | None, password: str | None, hosts: tuple[str, ...],
    database: str | None,
) -> None:
    got = uri.parse(text)
    assert (got.user, got.password, got.hosts, got.database) == (user, password, hosts, database)
