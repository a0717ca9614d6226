"""`.pgpass` line parsing, exactly as libpq's passwordFromFile."""

from __future__ import annotations

import pytest

from pgsweep.models import ParsedCredential
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
