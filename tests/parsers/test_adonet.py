"""Npgsql / ADO.NET connection strings: quoting, synonyms, PostgreSQL context."""

from __future__ import annotations

import pytest

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import adonet


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        (
            'Host=h;Password="p;""x";User Id=u',  # pgsweep:ignore
            [("Host", "h"), ("Password", 'p;"x'), ("User Id", "u")],
        ),
        ("Pwd='it''s' ; Server = s ;", [("Pwd", "it's"), ("Server", "s")]),
        ("a==b=c;;x=  spaced  ", [("a=b", "c"), ("x", "spaced")]),
    ],
)
def test_split_pairs(text: str, pairs: list[tuple[str, str]]) -> None:
    assert adonet.split_pairs(text) == pairs


def test_npgsql_string() -> None:
    assert adonet.parse(
        "Host=h1:5433,h2;Port=5432;Database=prod;Username=app;Password=pw;SSL Mode=Require"
    ) == ParsedCredential(
        password="pw",
        user="app",
        hosts=("h1", "h2"),
        ports=("5433", "5432"),
        database="prod",
        params=(("sslmode", "Require"),),
    )


@pytest.mark.parametrize(
    ("text", "context", "is_pg"),
    [
        ("Server=s;User Id=u;Password=p", "", False),  # pgsweep:ignore
        ("Server=s;User Id=u;Password=p", "options.UseNpgsql(cs)", True),  # pgsweep:ignore
        ("Server=s;Port=5432;User Id=u;Password=p", "", True),  # pgsweep:ignore
        ("Server=pg-prod.corp;User Id=u;Password=p", "", True),  # pgsweep:ignore
        ("Data Source=s;Initial Catalog=d;User Id=u;Password=p", "postgres", False),
        ("Host=s;Port=3306;Uid=u;Pwd=p", "", False),
        ("Host=s;Password=p", "", False),
    ],
)
def test_postgres_context(text: str, context: str, is_pg: bool) -> None:
    assert (adonet.parse(text, context) is not None) is is_pg


def _match(text: str) -> object:
    import re

    pattern = (
        r"(?i)(?<![\w.])(?:password|pwd|psw)[ \t]*=[ \t]*[^;\"\n]{0,1000}+"
        r"(?:;[^\"\n]{0,4000}+)?"
    )
    m = re.search(pattern, text)
    assert m is not None
    return adonet.parse_match(m, {})


def test_parse_match_reads_back_to_the_enclosing_quote() -> None:
    got = _match("x = f('Host=pg.corp.net;Username=py;Password=pw1') + y")  # pgsweep:ignore
    assert got == ParsedCredential(password="pw1", user="py", hosts=("pg.corp.net",))
    got = _match('Host=h2.corp.net;Username=u2;Password=pw2;Port=5432')  # pgsweep:ignore
    assert got == ParsedCredential(
        password="pw2", user="u2", hosts=("h2.corp.net",), ports=("5432",)
    )


def test_npgsql_string_without_host_connects_to_localhost_when_npgsql_is_named() -> None:
    text = "Username=u;Password=pw;Database=d"
    assert adonet.parse(text, "new NpgsqlConnection(") == ParsedCredential(
        password="pw", user="u", hosts=("localhost",), database="d"
    )
    assert adonet.parse(text, "var cs = ") is None
    assert adonet.parse(text + ";Data Source=x", "new NpgsqlConnection(") is None
