"""Passwords in driver calls, option objects and config blocks: parsed with their user and
host, and counted only where the structure or window says PostgreSQL."""

from __future__ import annotations

import functools

import pytest

from pgsweep.core.models import ParsedCredential
from pgsweep.detectors import signatures
from pgsweep.parsers import options


@functools.cache
def _sig(sid: str) -> signatures.Signature:
    return next(s for s in signatures.load() if s.id == sid)


def parse_all(text: str, sid: str = "pg.options.1") -> list[ParsedCredential]:
    sig = _sig(sid)
    out = []
    for m in sig.regex.finditer(text):
        parsed = options.parse_match(m, sig.fields)
        if parsed is not None:
            out.append(parsed)
    return out


def cred(password: str, user: str | None = None, host: str | None = None,
         port: str | None = None, database: str | None = None) -> ParsedCredential:
    return ParsedCredential(
        password=password, user=user, hosts=(host,) if host else (),
        ports=(port,) if port else (), database=database,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'conn = psycopg2.connect(host="h.test", port=5432, user="u", password="p\\\\w")',
            cred("p\\w", "u", "h.test", "5432"),
        ),
        (
            "db := pg.Connect(&pg.Options{\n\tAddr: \"pg.test:6000\",\n\tUser: \"u\",\n"
            "\tPassword: `r\\aw`,\n})",
            cred("r\\aw", "u", "pg.test", "6000"),
        ),
        (
            "PG.connect(:host => 'h.test', :dbname => 'd', :user => 'u', :password => 'a\\nb')",
            cred("a\\nb", "u", "h.test", database="d"),
        ),
        (
            "poolCfg.ConnConfig.Host = \"127.0.0.1\"\npoolCfg.ConnConfig.User = \"u\"\n"
            "poolCfg.ConnConfig.Password = \"Pw-1\"\nimport \"github.com/jackc/pgx/v5/pgxpool\"",
            cred("Pw-1", "u", "127.0.0.1"),
        ),
        (
            "flywayUrl := \"jdbc:postgresql://pg.test:5433/app\"\nflywayPassword := \"Pw-2\"",
            ParsedCredential(password="Pw-2", hosts=("pg.test",), ports=("5433",),
                             database="app"),
        ),
        (
            "[database]\nhost = h.test\nport = 5432\nuser = u\npassword = Pw-3 # rotated\n",
            cred("Pw-3", "u", "h.test", "5432"),
        ),
    ],
)
def test_parsed_with_siblings(text: str, expected: ParsedCredential) -> None:
    assert parse_all(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # another database named in the structure, or in the window
        "pymysql.connect(host='h.test', port=5432, user='u', password='Pw-3b')",
        'import psycopg2\nr = redis.Redis(host="h.test", password="Pw-4")',
        'cfg = {"engine": "mysql", "host": "h.test", "password": "Pw-5"}\nimport psycopg2',
        # a structure naming its own kind as something else stops the walk outward
        "pg:\n  cache:\n    type: memcached\n    user: u\n    password: Pw-6\n",
        # nothing PostgreSQL-like at all
        'login(user="u", host="h.test", password="Pw-7")',
        # only the window says PostgreSQL, and no user or host sits beside the password
        'import psycopg2\ncfg = {"password": "Pw-8"}',
        # variables and references
        "import psycopg2\nconn = psycopg2.connect(host=h, user=u, password=pw)",
        "import psycopg2\nDB_PASSWORD = secret_value",
        'import psycopg2\nconn = psycopg2.connect(user="u", password=os.environ["X"])',
        # a number assigned in code is a constant (node-postgres' netezza handshake)
        "// PostgreSQL Protocol Versions\nconst HSV2_CLIENT_HOST_NAME = 15\n"
        "const HSV2_CLIENT_OS_USER = 16\nconst PG_PROTOCOL_3 = 3\n"
        "const AUTH_REQ_PASSWORD = 3\nconst AUTH_REQ_MD5 = 5\n",
        # `password=` ends a string; the quote that closes it is no value (psycopg's tests)
        '    ("dbname=sony password=", {"dbname": "sony", "password": ""}),\n'
        '    ("postgresql://tester:secret@/test?port=5433", {"user": "tester"}),\n',
        "cases = ['user=u host=h.test password=', 'postgres://u@h.test/db']\n",
    ],
)
def test_not_postgres_or_not_a_literal(text: str) -> None:
    assert parse_all(text) == []


def test_a_host_value_with_commas_is_a_host_list() -> None:
    text = ("const pg = require('pg')\nconst client = new pg.Client({user: 'brian', "
            "host: 'h1.test,h2.test', password: 'Kx81-mmQz'})")
    assert parse_all(text) == [ParsedCredential(
        password="Kx81-mmQz", user="brian", hosts=("h1.test", "h2.test"))]


def test_the_structure_decides_before_the_window() -> None:
    # the window names MySQL too, but the call itself says PostgreSQL
    text = (
        "import mysql.connector\nimport psycopg2\n"
        'conn = psycopg2.connect(host="h.test", user="u", password="Pw-9")'
    )
    assert parse_all(text) == [cred("Pw-9", "u", "h.test")]


def test_setters_and_property_pairs() -> None:
    text = (
        'config.addDataSourceProperty("serverName", "h.test");\n'
        "ds.setServerNames(new String[] {\"ignored.test\"});\n"
        'ds.setUser("u");\nprops.setProperty("password", "Pw-\\u00e9");\n'
        "// org.postgresql.ds.PGSimpleDataSource"
    )
    assert parse_all(text, "pg.options.2") == [cred("Pw-é", "u", "ignored.test")]


def test_xml_entities() -> None:
    text = (
        '<property name="connection.url">jdbc:postgresql://h.test/db</property>\n'
        '<property name="connection.password">a&amp;b&lt;</property>'
    )
    assert parse_all(text, "pg.options.3") == [
        ParsedCredential(password="a&b<", hosts=("h.test",), database="db")
    ]


def test_driver_manager_url_literal_must_be_postgres() -> None:
    ok = 'DriverManager.getConnection("jdbc:postgresql://h.test/db", "u", "Pw-10")'
    other = 'DriverManager.getConnection("jdbc:h2:mem:db", "u", "Pw-11")'
    assert parse_all(ok, "pg.positional.1") == [
        ParsedCredential(password="Pw-10", user="u", hosts=("h.test",), database="db")
    ]
    assert parse_all(other, "pg.positional.1") == []


def test_a_window_naming_another_database_too_does_not_decide_postgres() -> None:
    # the structure names no database: the window decides, and it must name only PostgreSQL
    cfg = 'cfg = {"host": "h.test", "user": "u", "password": "Pw-10"}'
    assert parse_all(f"import psycopg2\n{cfg}") == [cred("Pw-10", "u", "h.test")]
    assert parse_all(f"import psycopg2\nimport pymysql\n{cfg}") == []
