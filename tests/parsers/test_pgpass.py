"""`.pgpass` line parsing, exactly as libpq's passwordFromFile."""

from __future__ import annotations

import re

import pytest

from pgsweep.core.models import ParsedCredential
from pgsweep.detectors import signatures
from pgsweep.parsers import pgpass


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (
            "db.example.com:5432:prod:app:s3cr3t",
            ["db.example.com", "5432", "prod", "app", "s3cr3t"],
        ),
        (r"*:*:*:replicator:rep\:pa\\ss", ["*", "*", "*", "replicator", "rep:pa\\ss"]),
        (
            r"127.0.0.1:55439:*:erin:a\:b\\c#d:ignored-extra",
            ["127.0.0.1", "55439", "*", "erin", "a:b\\c#d"],
        ),
        ("h:1:d:u:pw\r\n", ["h", "1", "d", "u", "pw"]),
        ("h:1:d:u:", ["h", "1", "d", "u", ""]),
        (r"h\:x:1:d:u:pw", ["h:x", "1", "d", "u", "pw"]),
    ],
)
def test_split_fields(line: str, fields: list[str]) -> None:
    assert pgpass.split_fields(line) == fields


@pytest.mark.parametrize("line", ["# h:1:d:u:pw", "", "h:1:d:pw", r"h:1:d:u\:pw"])
def test_no_entry(line: str) -> None:
    assert pgpass.split_fields(line) is None


def test_wildcards_are_absent_fields() -> None:
    assert pgpass.parse_line("*:*:*:rep:pw") == ParsedCredential(password="pw", user="rep")
    assert pgpass.parse_line("h:5432:db:u:pw") == ParsedCredential(
        password="pw", user="u", hosts=("h",), ports=("5432",), database="db"
    )


def _written(text: str) -> ParsedCredential | None:
    sig = next(s for s in signatures.load() if s.id == "pg.pgpass.3")
    m = sig.regex.search(text)
    assert m is not None
    return pgpass.parse_written_line(m, sig.fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'os.WriteFile(f, []byte("h.test:5432:db:u:p\\\\:w\\n"), 0600)',
            ParsedCredential(password="p:w", user="u", hosts=("h.test",), ports=("5432",),
                             database="db"),
        ),
        (
            "echo '*:6432:*:u:pw x' >> ~/.pgpass",
            ParsedCredential(password="pw x", user="u", ports=("6432",)),
        ),
    ],
)
def test_written_line(text: str, expected: ParsedCredential) -> None:
    assert _written(text) == expected


@pytest.mark.parametrize("text", ["11:5432:db:u:pw", "h:5432:db:u:pw".replace("5432", "0080")])
def test_written_line_needs_a_host_and_a_real_port(text: str) -> None:
    m = re.match(r"(?P<q>)(?P<line>.*)", text)
    assert m is not None
    assert pgpass.parse_written_line(m, {}) is None
