"""Values as configs, code strings and shells write them."""

from __future__ import annotations

import pytest

from pgsweep.detectors import signatures
from pgsweep.parsers import values


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
    assert values.scalar(raw) == value


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
    assert values.shell_word(raw) == value


def test_shell_word_stops_at_a_code_newline_escape() -> None:
    assert values.shell_word('changeme\\n"') == "changeme"
    assert values.shell_word('"x\\ny"') == "x\\ny"


def test_the_signatures_read_a_typed_field_as_the_parsers_do() -> None:
    """The forms that read `KEY: value` skip a type annotation exactly as the sibling
    readers do (`POSTGRES_USER: str = "app"`)."""
    patterns = {str(s.id): s.pattern for s in signatures.load()}
    for rule in ("pg.env.1", "pg.env.2", "pg.dotenv.1"):
        assert values.TYPE_ANNOTATION in patterns[rule], rule
