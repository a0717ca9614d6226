"""pgjdbc URL parsing with URLDecoder semantics, and r2dbc URLs."""

from __future__ import annotations

import pytest

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import jdbc


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "jdbc:postgresql://h1:5432,h2:5433/prod"
            "?user=app&password=a+b%26c&sslmode=require",  # pgsweep:ignore
            ParsedCredential(
                password="a b&c",
                user="app",
                hosts=("h1", "h2"),
                ports=("5432", "5433"),
                database="prod",
                params=(("sslmode", "require"),),
            ),
        ),
        (
            "jdbc:postgresql:prod?user=u&password=p",  # pgsweep:ignore
            ParsedCredential(password="p", user="u", database="prod"),
        ),
        (
            "jdbc:postgresql://app:pw@[::1]:5432/db",
            ParsedCredential(
                password="pw", user="app", hosts=("::1",), ports=("5432",), database="db"
            ),
        ),
        (
            "jdbc:postgresql://h/db?password=50%off",  # pgsweep:ignore
            ParsedCredential(password="50%off", hosts=("h",), database="db"),
        ),
    ],
)
def test_parse(url: str, expected: ParsedCredential) -> None:
    assert jdbc.parse(url) == expected


def test_parse_any_r2dbc_and_properties_escapes() -> None:
    r2 = jdbc.parse_any("r2dbc:pool:postgresql://app:a%2Bb@h:5432/db")  # pgsweep:ignore
    assert r2 is not None and (r2.password, r2.user, r2.hosts) == ("a+b", "app", ("h",))
    props = jdbc.parse_any(r"jdbc\:postgresql\://h\:5432/db?password\=x.")  # pgsweep:ignore
    assert props is not None and (props.password, props.hosts, props.ports) == (
        "x",
        ("h",),
        ("5432",),
    )
